-- A session's timers are written in the transaction that writes or locks the session (a
-- creation, or an update that found its version), and deleted with it, so the foreign key
-- from timers to sessions no longer guards anything the store does not. Each timer written
-- paid for the key's check (a read of the session under a share lock), about a tenth of
-- PostgreSQL's work per creation.
ALTER TABLE session_timers DROP CONSTRAINT session_timers_session_id_fkey;
