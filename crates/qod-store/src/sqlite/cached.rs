//! Updates that SQLite keeps prepared.
//!
//! diesel never keeps an `UPDATE` prepared, because some changesets change their SQL with the
//! values (an `Option` field skipped when `None`). Each use then costs SQLite a parse and a
//! plan on the writer thread, which runs every expiry, extension and delivery record one after
//! the other. The updates built here have one SQL text per call site (every column of their
//! changeset is always set, the filter is fixed), so keeping them is safe; the statement cache
//! is keyed by the text, so a second shape would get an entry of its own.
//!
//! A wrapper like PostgreSQL's `pg::cached` cannot do this on SQLite: the synchronous
//! connection asks a reference to the statement whether it may be cached, and that question
//! walks the statement's own parts, where diesel's `UPDATE` answers no.

use diesel::query_builder::{AsChangeset, AstPass, Query, QueryFragment, QueryId};
use diesel::query_dsl::RunQueryDsl;
use diesel::result::QueryResult;
use diesel::sqlite::Sqlite;
use diesel::{Column, Table};

/// `UPDATE table SET values WHERE filter`, optionally `RETURNING` one column, kept prepared.
#[derive(Debug, Clone)]
pub(super) struct CachedUpdate<F, V, W, R = ()> {
    from: F,
    values: V,
    filter: W,
    returning: R,
}

/// `RETURNING column`, with the column unqualified as SQLite wants it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Returning<C>(C);

/// An update of `table` whose `values` and `filter` produce one SQL text, whatever the values.
pub(super) fn update<T, V, W>(
    table: T,
    values: V,
    filter: W,
) -> CachedUpdate<T::FromClause, V::Changeset, W>
where
    T: Table,
    V: AsChangeset<Target = T>,
{
    CachedUpdate {
        from: table.from_clause(),
        values: values.as_changeset(),
        filter,
        returning: (),
    }
}

impl<F, V, W> CachedUpdate<F, V, W> {
    /// The same update, returning `column` of every row it changed.
    pub(super) fn returning<C: Column>(self, column: C) -> CachedUpdate<F, V, W, Returning<C>> {
        CachedUpdate {
            from: self.from,
            values: self.values,
            filter: self.filter,
            returning: Returning(column),
        }
    }
}

impl<F, V, W, R> QueryFragment<Sqlite> for CachedUpdate<F, V, W, R>
where
    F: QueryFragment<Sqlite>,
    V: QueryFragment<Sqlite>,
    W: QueryFragment<Sqlite>,
    R: QueryFragment<Sqlite>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        out.push_sql("UPDATE ");
        self.from.walk_ast(out.reborrow())?;
        out.push_sql(" SET ");
        self.values.walk_ast(out.reborrow())?;
        out.push_sql(" WHERE ");
        self.filter.walk_ast(out.reborrow())?;
        self.returning.walk_ast(out.reborrow())
    }
}

impl<C: Column> QueryFragment<Sqlite> for Returning<C> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        out.push_sql(" RETURNING ");
        out.push_identifier(C::NAME)
    }
}

/// No static id: the statement cache keys these by their SQL text.
impl<F, V, W, R> QueryId for CachedUpdate<F, V, W, R> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<F, V, W, C: Column> Query for CachedUpdate<F, V, W, Returning<C>> {
    type SqlType = C::SqlType;
}

impl<F, V, W, R, Conn> RunQueryDsl<Conn> for CachedUpdate<F, V, W, R> {}

#[cfg(test)]
#[path = "cached_tests.rs"]
mod tests;
