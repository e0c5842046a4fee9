//! The database file, and whether other processes may open it while the store has it open.

use std::path::PathBuf;

/// Whether processes other than this one may open the database file while the store is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SqliteAccess {
    /// This process alone (the default). SQLite's `unix-excl` VFS locks the file exclusively at
    /// its first use and keeps the lock until the last connection closes; the WAL index then
    /// lives in this process's memory instead of a shared `-shm` file, so that beginning and
    /// ending a read transaction take no file lock. Those locks, and the mutex held around
    /// them, were a fifth of what a point read cost the server (see docs/performance.md).
    /// Another process (a second `qod-server`, the `sqlite3` shell) is refused while the store
    /// is open: [`Error::InUse`](crate::Error::InUse).
    #[default]
    Exclusive,
    /// Any process, with SQLite's default VFS: the WAL index is shared memory, and each read
    /// transaction locks a slot of it. For reading the file live (a backup with the `sqlite3`
    /// shell, an inspection), at a cost on every read.
    Shared,
}

impl SqliteAccess {
    /// The access named `value` in a database URL (`?access=exclusive` or `?access=shared`).
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "exclusive" => Some(Self::Exclusive),
            "shared" => Some(Self::Shared),
            _ => None,
        }
    }
}

/// Where the store's connections open the database, and how.
#[derive(Debug, Clone)]
pub(crate) struct DbFile {
    path: String,
    uri: String,
}

impl DbFile {
    /// The file at `path`, opened with `access`.
    pub(crate) fn new(path: &str, access: SqliteAccess) -> Self {
        let uri = match access {
            SqliteAccess::Exclusive => format!("file:{}?vfs=unix-excl", escape(path)),
            SqliteAccess::Shared => format!("file:{}", escape(path)),
        };
        Self {
            path: path.to_owned(),
            uri,
        }
    }

    /// What a connection opens: an SQLite URI naming the file and its VFS.
    pub(crate) fn uri(&self) -> &str {
        &self.uri
    }

    /// The path of the file.
    pub(crate) fn path(&self) -> &str {
        &self.path
    }

    /// The path of its write-ahead log.
    pub(crate) fn wal(&self) -> PathBuf {
        PathBuf::from(format!("{}-wal", self.path))
    }
}

/// `path` as the path of an SQLite URI: the characters a URI gives a meaning to are
/// percent-encoded; SQLite decodes them.
fn escape(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        match c {
            '%' => out.push_str("%25"),
            '?' => out.push_str("%3f"),
            '#' => out.push_str("%23"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{DbFile, SqliteAccess};

    #[test]
    fn paths_become_uris_that_name_the_vfs() {
        let exclusive = DbFile::new("qod-data/qod.sqlite3", SqliteAccess::Exclusive);
        assert_eq!(exclusive.uri(), "file:qod-data/qod.sqlite3?vfs=unix-excl");
        let shared = DbFile::new("/var/lib/qod/a?b#c%d.db", SqliteAccess::Shared);
        assert_eq!(shared.uri(), "file:/var/lib/qod/a%3fb%23c%25d.db");
        assert_eq!(
            shared.wal(),
            std::path::PathBuf::from("/var/lib/qod/a?b#c%d.db-wal")
        );
    }

    #[test]
    fn access_is_named_in_urls() {
        assert_eq!(
            SqliteAccess::parse("exclusive"),
            Some(SqliteAccess::Exclusive)
        );
        assert_eq!(SqliteAccess::parse("shared"), Some(SqliteAccess::Shared));
        assert_eq!(SqliteAccess::parse("Shared"), None);
    }
}
