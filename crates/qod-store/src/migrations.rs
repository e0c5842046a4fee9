//! The embedded migrations of both backends, and how a database's applied migrations compare
//! with them.

use diesel::backend::Backend;
use diesel::migration::MigrationSource;
use diesel_migrations::{EmbeddedMigrations, embed_migrations};

use crate::error::Error;

/// The SQLite schema, compiled into the binary so that a fresh file is usable at once.
pub(crate) const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// The PostgreSQL schema, applied by `qod-server migrate`.
pub(crate) const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// How the migrations applied to a database compare with the ones built in.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct SchemaState {
    /// Built in, not applied yet (oldest first).
    pub pending: Vec<String>,
    /// Applied, but unknown to this binary: a newer release migrated the database.
    pub unknown: Vec<String>,
}

impl SchemaState {
    /// Compares the `applied` versions with those of `source`.
    pub(crate) fn of<DB: Backend>(
        source: &EmbeddedMigrations,
        applied: &[String],
    ) -> Result<Self, Error> {
        let known = known_versions::<DB>(source)?;
        let pending = known
            .iter()
            .filter(|v| !applied.contains(v))
            .cloned()
            .collect();
        let mut unknown: Vec<String> = applied
            .iter()
            .filter(|v| !known.contains(v))
            .cloned()
            .collect();
        unknown.sort();
        Ok(Self { pending, unknown })
    }

    /// Refuses a schema newer than this binary's.
    pub(crate) fn refuse_newer(&self) -> Result<(), Error> {
        if self.unknown.is_empty() {
            Ok(())
        } else {
            Err(Error::SchemaTooNew(self.unknown.clone()))
        }
    }

    /// Refuses any schema but this binary's.
    pub(crate) fn require_current(&self) -> Result<(), Error> {
        self.refuse_newer()?;
        if self.pending.is_empty() {
            Ok(())
        } else {
            Err(Error::SchemaNotMigrated(self.pending.clone()))
        }
    }
}

/// The versions of the migrations in `source`, oldest first.
fn known_versions<DB: Backend>(source: &EmbeddedMigrations) -> Result<Vec<String>, Error> {
    let migrations =
        MigrationSource::<DB>::migrations(source).map_err(|e| Error::Migration(e.to_string()))?;
    let mut versions: Vec<String> = migrations
        .iter()
        .map(|m| m.name().version().to_string())
        .collect();
    versions.sort();
    Ok(versions)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use diesel::pg::Pg;
    use diesel::sqlite::Sqlite;

    use super::*;

    #[test]
    fn both_backends_have_the_same_migration_versions() {
        let sqlite = known_versions::<Sqlite>(&SQLITE).unwrap();
        let postgres = known_versions::<Pg>(&POSTGRES).unwrap();
        assert!(!sqlite.is_empty());
        assert_eq!(sqlite, postgres);
    }

    #[test]
    fn states_of_fresh_current_and_newer_schemas() {
        let all = known_versions::<Pg>(&POSTGRES).unwrap();
        let fresh = SchemaState::of::<Pg>(&POSTGRES, &[]).unwrap();
        assert_eq!(fresh.pending, all);
        assert!(matches!(
            fresh.require_current(),
            Err(Error::SchemaNotMigrated(_))
        ));
        assert!(fresh.refuse_newer().is_ok());

        let current = SchemaState::of::<Pg>(&POSTGRES, &all).unwrap();
        assert_eq!(current, SchemaState::default());
        assert!(current.require_current().is_ok());

        let mut applied = all.clone();
        applied.push("99990101000000".into());
        let newer = SchemaState::of::<Pg>(&POSTGRES, &applied).unwrap();
        assert_eq!(newer.unknown, vec!["99990101000000".to_owned()]);
        let message = newer.require_current().unwrap_err().to_string();
        assert!(message.contains("newer than this qod-server"), "{message}");
    }
}
