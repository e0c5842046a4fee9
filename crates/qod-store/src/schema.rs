//! The SQL schema, as created by the migrations in `migrations/sqlite` and
//! `migrations/postgres` (the same columns on both).

diesel::table! {
    /// One row per stored session.
    sessions (id) {
        id -> Text,
        client_id -> Text,
        device_key -> Text,
        ue -> Text,
        device -> Nullable<Text>,
        application_server -> Text,
        device_ports -> Nullable<Text>,
        application_server_ports -> Nullable<Text>,
        qos_profile -> Text,
        max_duration_secs -> BigInt,
        sink -> Nullable<Text>,
        duration_secs -> BigInt,
        status -> Text,
        status_info -> Nullable<Text>,
        started_at -> Nullable<BigInt>,
        expires_at -> Nullable<BigInt>,
        network_resource -> Nullable<Text>,
        created_at -> BigInt,
        version -> BigInt,
    }
}

diesel::table! {
    /// Due times: at most one per session and kind; deleted with their session.
    session_timers (session_id, kind) {
        session_id -> Text,
        kind -> Text,
        due_at -> BigInt,
        claimed_until -> Nullable<BigInt>,
    }
}

diesel::table! {
    /// One row per device that ever had a session; locked by creations (PostgreSQL only).
    device_locks (device_key) {
        device_key -> Text,
    }
}

diesel::table! {
    /// The notification outbox; `seq` orders the changes.
    status_changes (seq) {
        id -> Text,
        session_id -> Text,
        seq -> BigInt,
        status -> Text,
        status_info -> Nullable<Text>,
        at -> BigInt,
    }
}

diesel::table! {
    /// Events for sinks: one row per status change of a session that has a sink, with a copy
    /// of the sink and the state of its delivery.
    notification_outbox (event_id) {
        event_id -> Text,
        session_id -> Text,
        seq -> BigInt,
        sink -> Text,
        sink_origin -> Text,
        status -> Text,
        status_info -> Nullable<Text>,
        occurred_at -> BigInt,
        state -> Text,
        attempts -> BigInt,
        next_attempt_at -> BigInt,
        claimed_until -> Nullable<BigInt>,
        last_error -> Nullable<Text>,
        last_http_status -> Nullable<BigInt>,
        updated_at -> BigInt,
    }
}
