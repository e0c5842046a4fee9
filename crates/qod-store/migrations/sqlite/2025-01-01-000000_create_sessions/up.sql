-- Sessions, their due times, and the status-change outbox.
-- Timestamps are unix milliseconds (UTC); nested values are JSON text.

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

CREATE TABLE session_timers (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    due_at BIGINT NOT NULL,
    -- While in the future, the timer is claimed by a worker; NULL when unclaimed.
    claimed_until BIGINT,
    PRIMARY KEY (session_id, kind)
);

CREATE INDEX session_timers_due_at ON session_timers (due_at);

-- Not tied to sessions by a foreign key: changes outlive deleted sessions.
CREATE TABLE status_changes (
    id TEXT PRIMARY KEY NOT NULL,
    session_id TEXT NOT NULL,
    seq BIGINT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    status_info TEXT,
    at BIGINT NOT NULL
);

CREATE INDEX status_changes_session ON status_changes (session_id, seq);
