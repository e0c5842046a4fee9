-- Nothing to change: on PostgreSQL this version drops the foreign key from timers to sessions,
-- whose check cost a read per timer written there. SQLite keeps it: its check finds the
-- session in a page the same transaction just wrote, its cascade deletes a deleted session's
-- timers, and dropping it would mean rebuilding the table. The version exists on both backends
-- so that one version names one schema.
SELECT 1;
