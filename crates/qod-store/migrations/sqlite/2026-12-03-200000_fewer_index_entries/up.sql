-- Fewer B-trees written per creation (and per expiry, extension, deletion): ten before, seven
-- after. Every row is kept.
--
-- Status changes are keyed by `seq`, now the rowid: the single writer numbers them in order,
-- and nothing looks a change up by its id (a time-ordered UUID the service draws), so neither
-- the id's unique index nor seq's is needed any more.
CREATE TABLE status_changes_by_seq (
    id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    seq INTEGER PRIMARY KEY NOT NULL,
    status TEXT NOT NULL,
    status_info TEXT,
    at BIGINT NOT NULL
);

INSERT INTO status_changes_by_seq (id, session_id, seq, status, status_info, at)
SELECT id, session_id, seq, status, status_info, at FROM status_changes;

DROP TABLE status_changes;
ALTER TABLE status_changes_by_seq RENAME TO status_changes;
CREATE INDEX status_changes_session ON status_changes (session_id, seq);

-- Timers live in the B-tree of their key, as sessions do: a rowid table kept the key in an
-- index of its own. Timers are children of sessions (not parents), so the rebuild runs in the
-- migration's transaction with foreign keys on, and each copied timer is checked.
CREATE TABLE session_timers_clustered (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    due_at BIGINT NOT NULL,
    -- While in the future, the timer is claimed by a worker; NULL when unclaimed.
    claimed_until BIGINT,
    PRIMARY KEY (session_id, kind)
) WITHOUT ROWID;

INSERT INTO session_timers_clustered (session_id, kind, due_at, claimed_until)
SELECT session_id, kind, due_at, claimed_until FROM session_timers;

DROP TABLE session_timers;
ALTER TABLE session_timers_clustered RENAME TO session_timers;
CREATE INDEX session_timers_due_at ON session_timers (due_at);
