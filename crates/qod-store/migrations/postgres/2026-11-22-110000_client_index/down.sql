DROP INDEX sessions_client_status;
