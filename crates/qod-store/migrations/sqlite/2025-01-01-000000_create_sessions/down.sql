DROP TABLE status_changes;
DROP TABLE session_timers;
DROP TABLE sessions;
