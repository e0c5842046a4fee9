-- A client's active sessions are counted for its session quota.
CREATE INDEX sessions_client_status ON sessions (client_id, status);
