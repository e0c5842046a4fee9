//! Statements that PostgreSQL prepares once per connection.
//!
//! diesel keeps a statement prepared only when its SQL is the same on every use, and it decides
//! that from the query's parts: an `UPDATE`, an `ON CONFLICT ... DO UPDATE` or a multi-row
//! `INSERT` is never kept, because some forms of them change their SQL with the values. Each
//! use of one then costs a parse and plan on the server and an extra round trip. The statements
//! wrapped here have a small, fixed set of texts (one per shape the caller can produce), and the
//! cache is keyed by the text itself, so keeping them is safe.

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::result::QueryResult;

/// `Q`, kept prepared on its connection: see the module documentation for when that is right.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cached<Q>(Q);

/// Wraps a statement whose SQL text takes only a few forms, so that it stays prepared.
pub(crate) trait CachedExt: Sized {
    /// This statement, kept prepared per connection.
    fn cached(self) -> Cached<Self> {
        Cached(self)
    }
}

impl<Q: QueryFragment<Pg>> CachedExt for Q {}

impl<Q: QueryFragment<Pg>> QueryFragment<Pg> for Cached<Q> {
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.0.walk_ast(pass)
    }

    /// The statement cache is keyed by the SQL text and the bind types (there is no static
    /// query id), so a second form of the statement gets an entry of its own.
    fn is_safe_to_cache_prepared(&self, _backend: &Pg) -> QueryResult<bool> {
        Ok(true)
    }
}

impl<Q> QueryId for Cached<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: Query> Query for Cached<Q> {
    type SqlType = Q::SqlType;
}
