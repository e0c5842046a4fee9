-- Nothing to change: the SQLite schema's sessions table became a WITHOUT ROWID table at this
-- version. PostgreSQL keeps rows in a heap and reads them through the key's index either way;
-- the version exists on both backends so that one version names one schema.
SELECT 1;
