//! Choosing the backend from a database URL.

use std::path::PathBuf;
use std::sync::Arc;

use qod_domain::{OutboxStore, SessionStore};

use crate::error::Error;
use crate::pg::{PgStore, PoolSettings};
use crate::sqlite::{SqliteAccess, SqliteStore};

/// A database URL, parsed.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// `sqlite://PATH` or `sqlite:PATH`: an SQLite file (`sqlite:///abs/path` is absolute),
    /// for this process alone; `?access=shared` after the path lets other processes open it
    /// too ([`SqliteAccess`]).
    Sqlite(PathBuf, SqliteAccess),
    /// `postgres://...` or `postgresql://...`: a PostgreSQL server, the URL as given.
    Postgres(String),
}

impl DatabaseUrl {
    /// Parses `url`; fails on any other scheme, an empty SQLite path or an unknown SQLite
    /// parameter.
    pub fn parse(url: &str) -> Result<Self, Error> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_owned()));
        }
        if let Some(rest) = url.strip_prefix("sqlite:") {
            let rest = rest.strip_prefix("//").unwrap_or(rest);
            let (path, access) = match rest.split_once('?') {
                None => (rest, SqliteAccess::default()),
                Some((path, query)) => (path, sqlite_access(query)?),
            };
            if path.is_empty() {
                return Err(Error::Path("empty SQLite path".into()));
            }
            return Ok(Self::Sqlite(PathBuf::from(path), access));
        }
        let scheme = url.split_once(':').map_or("", |(scheme, _)| scheme);
        Err(Error::Url(scheme.to_owned()))
    }

    /// The URL with any password hidden, for logs.
    pub fn redacted(&self) -> String {
        match self {
            Self::Sqlite(path, SqliteAccess::Exclusive) => format!("sqlite://{}", path.display()),
            Self::Sqlite(path, SqliteAccess::Shared) => {
                format!("sqlite://{}?access=shared", path.display())
            }
            Self::Postgres(url) => redact_password(url),
        }
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl std::fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// The access an SQLite URL's query (`access=exclusive` or `access=shared`) asks for.
fn sqlite_access(query: &str) -> Result<SqliteAccess, Error> {
    match query.strip_prefix("access=").and_then(SqliteAccess::parse) {
        Some(access) => Ok(access),
        None => Err(Error::Path(format!(
            "unknown SQLite parameter {query:?}: expected access=exclusive or access=shared"
        ))),
    }
}

/// `scheme://user:password@host/...?password=...` with the passwords replaced by `***`.
fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((user_info, host)) => match user_info.split_once(':') {
            Some((user, _)) => format!("{user}:***@{host}"),
            None => authority.to_owned(),
        },
        None => authority.to_owned(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let params: Vec<&str> = query
                .split('&')
                .map(|p| {
                    if p.starts_with("password=") {
                        "password=***"
                    } else {
                        p
                    }
                })
                .collect();
            format!("{path}?{}", params.join("&"))
        }
        None => tail.to_owned(),
    };
    format!("{scheme}://{authority}{tail}")
}

/// Everything the server keeps in its database: sessions, timers and the outbox.
pub trait Store: SessionStore + OutboxStore {}

impl<T: SessionStore + OutboxStore> Store for T {}

/// Opens the store that `url` names.
///
/// SQLite: opens (creating) the file and migrates it; its parent directory must exist.
/// PostgreSQL: connects a pool with `settings` and checks that the schema is exactly this
/// binary's ([`Error::SchemaNotMigrated`], [`Error::SchemaTooNew`]); it never migrates.
pub async fn open(url: &str, settings: PoolSettings) -> Result<Arc<dyn Store>, Error> {
    match DatabaseUrl::parse(url)? {
        DatabaseUrl::Sqlite(path, access) => {
            let store = tokio::task::spawn_blocking(move || SqliteStore::open_with(&path, access))
                .await
                .map_err(|e| Error::Task(e.to_string()))??;
            Ok(Arc::new(store))
        }
        DatabaseUrl::Postgres(url) => Ok(Arc::new(PgStore::connect(&url, settings).await?)),
    }
}

/// Applies the migrations `url`'s database lacks, and returns their versions. Refuses a
/// schema that a newer release migrated.
pub async fn migrate(url: &str) -> Result<Vec<String>, Error> {
    match DatabaseUrl::parse(url)? {
        DatabaseUrl::Sqlite(path, access) => {
            tokio::task::spawn_blocking(move || SqliteStore::open_migrated(&path, access))
                .await
                .map_err(|e| Error::Task(e.to_string()))?
                .map(|(_, applied)| applied)
        }
        DatabaseUrl::Postgres(url) => PgStore::migrate(&url).await,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_their_backend() {
        let cases = [
            ("sqlite://qod-data/qod.db", "qod-data/qod.db"),
            ("sqlite:///var/lib/qod/qod.db", "/var/lib/qod/qod.db"),
            ("sqlite:qod.db", "qod.db"),
        ];
        for (url, path) in cases {
            assert_eq!(
                DatabaseUrl::parse(url).unwrap(),
                DatabaseUrl::Sqlite(PathBuf::from(path), SqliteAccess::Exclusive)
            );
        }
        assert_eq!(
            DatabaseUrl::parse("sqlite://qod.db?access=shared").unwrap(),
            DatabaseUrl::Sqlite(PathBuf::from("qod.db"), SqliteAccess::Shared)
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///q.db?access=shared")
                .unwrap()
                .to_string(),
            "sqlite:///q.db?access=shared"
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite://qod.db?access=exclusive").unwrap(),
            DatabaseUrl::Sqlite(PathBuf::from("qod.db"), SqliteAccess::Exclusive)
        );
        assert!(matches!(
            DatabaseUrl::parse("sqlite://qod.db?mode=ro"),
            Err(Error::Path(_))
        ));
        for url in [
            "postgres://db/qod",
            "postgresql://u:p@db:5432/qod?sslmode=disable",
        ] {
            assert_eq!(
                DatabaseUrl::parse(url).unwrap(),
                DatabaseUrl::Postgres(url.to_owned())
            );
        }
        assert!(matches!(
            DatabaseUrl::parse("mysql://db/qod"),
            Err(Error::Url(s)) if s == "mysql"
        ));
        assert!(matches!(
            DatabaseUrl::parse("sqlite://"),
            Err(Error::Path(_))
        ));
        assert!(matches!(DatabaseUrl::parse("qod.db"), Err(Error::Url(_))));
    }

    #[test]
    fn passwords_are_hidden_in_logs() {
        let url = DatabaseUrl::parse("postgres://qod:s3cret@db.example:5432/qod?x=1").unwrap();
        assert_eq!(
            url.to_string(),
            "postgres://qod:***@db.example:5432/qod?x=1"
        );
        assert!(!format!("{url:?}").contains("s3cret"));
        let plain = DatabaseUrl::parse("postgres://qod@db/qod").unwrap();
        assert_eq!(plain.to_string(), "postgres://qod@db/qod");
        let at_in_password = DatabaseUrl::parse("postgres://qod:a@b@db/qod").unwrap();
        assert_eq!(at_in_password.to_string(), "postgres://qod:***@db/qod");
        let in_query = DatabaseUrl::parse("postgres://db/qod?user=qod&password=s3cret").unwrap();
        assert_eq!(
            in_query.to_string(),
            "postgres://db/qod?user=qod&password=***"
        );
    }
}
