-- The notification outbox: one row per status change of a session that has a sink, written in
-- the same transaction as the change. The sink and its credential are copied, so that events
-- still go out after the session is deleted. Timestamps are unix milliseconds (UTC).
CREATE TABLE notification_outbox (
    event_id TEXT PRIMARY KEY NOT NULL,
    session_id TEXT NOT NULL,
    -- The change's `status_changes.seq`: orders the events of one session.
    seq BIGINT NOT NULL,
    sink TEXT NOT NULL,
    -- scheme://host:port of the sink: concurrent deliveries are capped per origin.
    sink_origin TEXT NOT NULL,
    status TEXT NOT NULL,
    status_info TEXT,
    occurred_at BIGINT NOT NULL,
    -- PENDING, DELIVERED, FAILED or GONE.
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    -- While in the future, a dispatcher is delivering the event; NULL when unclaimed.
    claimed_until BIGINT,
    last_error TEXT,
    last_http_status BIGINT,
    updated_at BIGINT NOT NULL
);

-- seq last: the claim reads due events in order without sorting them.
CREATE INDEX notification_outbox_due ON notification_outbox (state, next_attempt_at, seq);
CREATE INDEX notification_outbox_session ON notification_outbox (session_id, seq);
