-- Sessions, their due times, the status-change outbox, and one lock row per device.
-- Timestamps are unix milliseconds (UTC); nested values are JSON text. The columns match the
-- SQLite schema, so that one diesel schema serves both backends.

CREATE TABLE sessions (
    id TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL,
    device_key TEXT NOT NULL,
    ue TEXT NOT NULL,
    device TEXT,
    application_server TEXT NOT NULL,
    device_ports TEXT,
    application_server_ports TEXT,
    qos_profile TEXT NOT NULL,
    max_duration_secs BIGINT NOT NULL,
    sink TEXT,
    duration_secs BIGINT NOT NULL,
    status TEXT NOT NULL,
    status_info TEXT,
    started_at BIGINT,
    expires_at BIGINT,
    network_resource TEXT,
    created_at BIGINT NOT NULL,
    version BIGINT NOT NULL
);

CREATE INDEX sessions_device_key ON sessions (device_key, created_at);

-- Creations for one device lock its row first, so that the conflict check and the insert are
-- atomic across every instance. Rows are kept: one small row per device ever seen.
CREATE TABLE device_locks (
    device_key TEXT PRIMARY KEY NOT NULL
);

CREATE TABLE session_timers (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    due_at BIGINT NOT NULL,
    -- While in the future, the timer is claimed by a worker; NULL when unclaimed.
    claimed_until BIGINT,
    PRIMARY KEY (session_id, kind)
);

CREATE INDEX session_timers_due_at ON session_timers (due_at);

-- Not tied to sessions by a foreign key: changes outlive deleted sessions. `seq` comes from a
-- sequence, so that instances need no coordination to number changes.
CREATE TABLE status_changes (
    id TEXT PRIMARY KEY NOT NULL,
    session_id TEXT NOT NULL,
    seq BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    status TEXT NOT NULL,
    status_info TEXT,
    at BIGINT NOT NULL
);

CREATE INDEX status_changes_session ON status_changes (session_id, seq);
