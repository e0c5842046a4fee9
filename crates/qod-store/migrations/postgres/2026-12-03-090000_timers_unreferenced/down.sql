-- Timers of sessions that are gone fire nothing; they go before the key comes back.
DELETE FROM session_timers t WHERE NOT EXISTS (SELECT 1 FROM sessions s WHERE s.id = t.session_id);
ALTER TABLE session_timers ADD CONSTRAINT session_timers_session_id_fkey
    FOREIGN KEY (session_id) REFERENCES sessions (id) ON DELETE CASCADE;
