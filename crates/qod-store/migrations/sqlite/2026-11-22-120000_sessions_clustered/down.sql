-- Back to a rowid table, the way up.sql rebuilt it (foreign keys off, its own transaction):
-- every row is kept.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;

CREATE TABLE sessions_rowid (
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

INSERT INTO sessions_rowid (
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
ALTER TABLE sessions_rowid RENAME TO sessions;

CREATE INDEX sessions_device_key ON sessions (device_key, created_at);
CREATE INDEX sessions_client_status ON sessions (client_id, status);

COMMIT;
PRAGMA foreign_keys = ON;
