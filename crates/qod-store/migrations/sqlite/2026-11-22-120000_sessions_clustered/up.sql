-- Sessions are stored in the B-tree of their id (WITHOUT ROWID): a read by id descends that
-- one B-tree, where a rowid table is two (the id's index, then the rows by rowid). At a
-- million sessions, where the pages cannot all stay cached, that is a page read fewer per get.
--
-- The table is rebuilt, copying every row. Foreign keys are off meanwhile: dropping the old
-- table would otherwise delete every timer (ON DELETE CASCADE). SQLite ignores
-- `PRAGMA foreign_keys` inside a transaction, so this migration is not run in one
-- (metadata.toml) and opens its own; if any statement fails, the connection is closed with
-- the transaction open, and nothing is changed. Run again after a crash before the version is
-- recorded, it rebuilds the table again, with the same result.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;

CREATE TABLE sessions_clustered (
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
) WITHOUT ROWID;

INSERT INTO sessions_clustered (
    id, client_id, device_key, ue, device, application_server, device_ports,
    application_server_ports, qos_profile, max_duration_secs, sink, duration_secs, status,
    status_info, started_at, expires_at, network_resource, created_at, version
)
SELECT
    id, client_id, device_key, ue, device, application_server, device_ports,
    application_server_ports, qos_profile, max_duration_secs, sink, duration_secs, status,
    status_info, started_at, expires_at, network_resource, created_at, version
FROM sessions;

DROP TABLE sessions;
ALTER TABLE sessions_clustered RENAME TO sessions;

CREATE INDEX sessions_device_key ON sessions (device_key, created_at);
CREATE INDEX sessions_client_status ON sessions (client_id, status);

COMMIT;
PRAGMA foreign_keys = ON;
