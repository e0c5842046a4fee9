-- Status changes are keyed by `seq` (already unique, numbered by its identity sequence), and
-- the id (a time-ordered UUID the service draws, which nothing looks a change up by) loses the
-- index it had as the key. Every change written (at creation, expiry, extension, deletion)
-- updates one index fewer. The key's index is built anew from the rows: a unique constraint's
-- index cannot be taken over by another constraint.
ALTER TABLE status_changes
    DROP CONSTRAINT status_changes_pkey,
    DROP CONSTRAINT status_changes_seq_key,
    ADD CONSTRAINT status_changes_pkey PRIMARY KEY (seq);
