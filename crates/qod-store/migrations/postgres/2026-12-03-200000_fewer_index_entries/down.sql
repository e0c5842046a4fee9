-- Back to status changes keyed by their id, with a unique seq.
ALTER TABLE status_changes
    DROP CONSTRAINT status_changes_pkey,
    ADD CONSTRAINT status_changes_seq_key UNIQUE (seq),
    ADD CONSTRAINT status_changes_pkey PRIMARY KEY (id);
