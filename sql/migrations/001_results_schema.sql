-- Results schema (SPEC §3.3, docs/contracts.md). Plain PostgreSQL 14+; TimescaleDB is optional (002).
-- Applied once, in one transaction, by lambda/db-init (schema_migrations records it).

-- Every stored Kafka record, verbatim: the SINETStream tstamp, the full JSON and where it came from.
-- The Kafka coordinates are the key, so a redelivered record is never stored twice.
CREATE TABLE perftool_message (
  topic           text        NOT NULL,
  kafka_partition integer     NOT NULL,
  kafka_offset    bigint      NOT NULL,
  kafka_timestamp timestamptz,
  tstamp          timestamptz NOT NULL,
  format          text        NOT NULL CHECK (format IN ('v3', 'v2', 'json')),
  -- json keeps the text exactly as received (jsonb re-encodes it: key order, duplicate keys, whitespace and
  -- number spelling such as 1.648491955007E9 are lost) and is several times cheaper to check than jsonb is to
  -- build. The sink takes the serving values from the JSON it has parsed anyway; nothing queries msg here.
  msg             json        NOT NULL,
  received_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (topic, kafka_partition, kafka_offset)
);

-- Every record the sink could not store, with the reason and the raw bytes (NULL for a tombstone).
CREATE TABLE perftool_rejected (
  topic           text        NOT NULL,
  kafka_partition integer     NOT NULL,
  kafka_offset    bigint      NOT NULL,
  kafka_timestamp timestamptz,
  reason          text        NOT NULL,
  raw             bytea,
  received_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (topic, kafka_partition, kafka_offset)
);

-- One row per perftool result: what the viewer charts. Metric columns are double precision so values
-- round-trip exactly (the original used real).
CREATE TABLE perftool (
  "timestamp"         timestamptz NOT NULL,
  publisher           text        NOT NULL,
  reader_bytes_rate   double precision,
  writer_bytes_rate   double precision,
  reader_count_rate   double precision,
  writer_count_rate   double precision,
  reader_error_rate   double precision,
  writer_error_rate   double precision,
  reader_error_count  double precision,
  writer_error_count  double precision,
  thread_number       integer,
  reader_msg_count    double precision,
  writer_msg_count    double precision,
  reader_msg_size_avg double precision,
  writer_msg_size_avg double precision,
  window_start        timestamptz,
  window_end          timestamptz
);
-- The viewer's only access path: one publisher, a time range, ordered by time.
CREATE INDEX perftool_publisher_timestamp_idx ON perftool (publisher, "timestamp");

-- Time buckets maintained by the sink in the same statement that stores the results, so a long window reads
-- at most one row per bucket instead of aggregating raw rows. Sums and non-null counts merge by addition,
-- which keeps averages exact under any arrival order; the views below turn them into the public columns.
CREATE TABLE perftool_rollup (
  width_seconds            integer     NOT NULL CHECK (width_seconds IN (30, 60, 120, 600)),
  publisher                text        NOT NULL,
  bucket                   timestamptz NOT NULL,
  result_count             bigint      NOT NULL,
  reader_bytes_rate_sum    double precision NOT NULL,
  reader_bytes_rate_n      bigint      NOT NULL,
  writer_bytes_rate_sum    double precision NOT NULL,
  writer_bytes_rate_n      bigint      NOT NULL,
  reader_count_rate_sum    double precision NOT NULL,
  reader_count_rate_n      bigint      NOT NULL,
  writer_count_rate_sum    double precision NOT NULL,
  writer_count_rate_n      bigint      NOT NULL,
  reader_error_rate_sum    double precision NOT NULL,
  reader_error_rate_n      bigint      NOT NULL,
  writer_error_rate_sum    double precision NOT NULL,
  writer_error_rate_n      bigint      NOT NULL,
  reader_error_count_sum   double precision NOT NULL,
  reader_error_count_n     bigint      NOT NULL,
  writer_error_count_sum   double precision NOT NULL,
  writer_error_count_n     bigint      NOT NULL,
  PRIMARY KEY (width_seconds, publisher, bucket)
)
-- An upsert of an existing bucket changes no indexed column, so it can be a HOT update (no new index entry) when
-- its page has room, which this fillfactor leaves.
WITH (fillfactor = 70);

-- Rates are averaged over the bucket, error counts summed (never averaged); NULL when no result had the value.
CREATE FUNCTION perftool_rollup_view_sql(width integer) RETURNS text LANGUAGE sql IMMUTABLE AS $fn$
  SELECT format($v$
    SELECT bucket AS "timestamp",
           publisher,
           reader_bytes_rate_sum / NULLIF(reader_bytes_rate_n, 0)  AS reader_bytes_rate,
           writer_bytes_rate_sum / NULLIF(writer_bytes_rate_n, 0)  AS writer_bytes_rate,
           reader_count_rate_sum / NULLIF(reader_count_rate_n, 0)  AS reader_count_rate,
           writer_count_rate_sum / NULLIF(writer_count_rate_n, 0)  AS writer_count_rate,
           reader_error_rate_sum / NULLIF(reader_error_rate_n, 0)  AS reader_error_rate,
           writer_error_rate_sum / NULLIF(writer_error_rate_n, 0)  AS writer_error_rate,
           CASE WHEN reader_error_count_n > 0 THEN reader_error_count_sum END AS reader_error_count,
           CASE WHEN writer_error_count_n > 0 THEN writer_error_count_sum END AS writer_error_count,
           result_count
      FROM perftool_rollup
     WHERE width_seconds = %s
  $v$, width)
$fn$;

DO $$
DECLARE
  view_width record;
BEGIN
  FOR view_width IN SELECT * FROM (VALUES ('perftool_30sec', 30), ('perftool_1min', 60),
                                          ('perftool_2min', 120), ('perftool_10min', 600)) AS v(name, width)
  LOOP
    EXECUTE format('CREATE VIEW %I AS %s', view_width.name, perftool_rollup_view_sql(view_width.width));
  END LOOP;
END $$;
DROP FUNCTION perftool_rollup_view_sql(integer);

-- One row per publisher, maintained with the buckets: lets the viewer list publishers without a scan.
CREATE TABLE perftool_publishers (
  publisher    text        PRIMARY KEY,
  first_seen   timestamptz NOT NULL,
  last_seen    timestamptz NOT NULL,
  result_count bigint      NOT NULL
);

-- Viewer settings stored on the server (the original's contract; the `default` row is seeded by db-init).
CREATE TABLE viewer_config (
  id      serial PRIMARY KEY,
  name    text   NOT NULL UNIQUE,
  comment text,
  config  jsonb  NOT NULL
);
