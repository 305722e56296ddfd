-- Use TimescaleDB where the server has it (not on RDS). Guarded so plain PostgreSQL skips it; the sink keeps
-- the same maintained buckets on both paths, so the views behave identically either way.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb')
     AND current_setting('shared_preload_libraries', true) LIKE '%timescaledb%' THEN
    CREATE EXTENSION IF NOT EXISTS timescaledb;
    -- EXECUTE: create_hypertable only exists once the extension does.
    EXECUTE $sql$SELECT create_hypertable('perftool', 'timestamp', if_not_exists => TRUE, migrate_data => TRUE)$sql$;
  END IF;
END $$;
