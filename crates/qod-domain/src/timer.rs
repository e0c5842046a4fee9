use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

/// What a due time does when it fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TimerKind {
    /// A scripted network event: the pending policy becomes active.
    Activate,
    /// A scripted network event: the network ends the policy.
    NetworkTerminate,
    /// The session's duration is over.
    Expire,
    /// The retention of an UNAVAILABLE session is over: delete it.
    Purge,
}

impl TimerKind {
    /// Every kind, for storage round trips.
    pub const ALL: [TimerKind; 4] = [
        Self::Activate,
        Self::NetworkTerminate,
        Self::Expire,
        Self::Purge,
    ];

    /// A stable name for storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Activate => "ACTIVATE",
            Self::NetworkTerminate => "NETWORK_TERMINATE",
            Self::Expire => "EXPIRE",
            Self::Purge => "PURGE",
        }
    }

    /// The kind stored under `s`.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A due time of one session. A session has at most one timer of each kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timer {
    pub session_id: Uuid,
    pub kind: TimerKind,
    pub due_at: OffsetDateTime,
}
