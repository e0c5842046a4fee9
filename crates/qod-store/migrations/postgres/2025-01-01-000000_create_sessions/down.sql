DROP TABLE status_changes;
DROP TABLE session_timers;
DROP TABLE device_locks;
DROP TABLE sessions;
