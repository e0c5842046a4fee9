-- Back to the tables of the version before: status changes keyed by their id with a unique
-- seq, timers in a rowid table. Every row is kept.
CREATE TABLE status_changes_by_id (
    id TEXT PRIMARY KEY NOT NULL,
    session_id TEXT NOT NULL,
    seq BIGINT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    status_info TEXT,
    at BIGINT NOT NULL
);

INSERT INTO status_changes_by_id (id, session_id, seq, status, status_info, at)
SELECT id, session_id, seq, status, status_info, at FROM status_changes;

DROP TABLE status_changes;
ALTER TABLE status_changes_by_id RENAME TO status_changes;
CREATE INDEX status_changes_session ON status_changes (session_id, seq);

CREATE TABLE session_timers_rowid (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    due_at BIGINT NOT NULL,
    -- While in the future, the timer is claimed by a worker; NULL when unclaimed.
    claimed_until BIGINT,
    PRIMARY KEY (session_id, kind)
);

INSERT INTO session_timers_rowid (session_id, kind, due_at, claimed_until)
SELECT session_id, kind, due_at, claimed_until FROM session_timers;

DROP TABLE session_timers;
ALTER TABLE session_timers_rowid RENAME TO session_timers;
CREATE INDEX session_timers_due_at ON session_timers (due_at);
