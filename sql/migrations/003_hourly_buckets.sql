-- A maintained 1-hour bucket level (perftool_1hour): a 30-day chart then reads 720 rows per publisher instead of
-- 4,320 ten-minute buckets. The sink maintains width 3600 like the others (lambda/sink/buckets.ts).

ALTER TABLE perftool_rollup
  DROP CONSTRAINT perftool_rollup_width_seconds_check,
  ADD CONSTRAINT perftool_rollup_width_seconds_check CHECK (width_seconds IN (30, 60, 120, 600, 3600));

-- The same columns and semantics as perftool_30sec … perftool_10min (001): rates averaged over the bucket, error
-- counts summed, NULL when no result had the value.
CREATE VIEW perftool_1hour AS
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
   WHERE width_seconds = 3600;

-- Hours of results stored before this migration, from their 10-minute rows: an hour is exactly six of them, and sums
-- and non-null counts add up, so the backfilled rows equal what the sink would have written. The ALTER above holds
-- perftool_rollup exclusively until commit, so no batch adds to a 10-minute row while this reads them.
INSERT INTO perftool_rollup (
  width_seconds, publisher, bucket, result_count,
  reader_bytes_rate_sum, reader_bytes_rate_n, writer_bytes_rate_sum, writer_bytes_rate_n,
  reader_count_rate_sum, reader_count_rate_n, writer_count_rate_sum, writer_count_rate_n,
  reader_error_rate_sum, reader_error_rate_n, writer_error_rate_sum, writer_error_rate_n,
  reader_error_count_sum, reader_error_count_n, writer_error_count_sum, writer_error_count_n
)
SELECT 3600, publisher, date_bin('1 hour', bucket, timestamptz 'epoch'), sum(result_count),
       sum(reader_bytes_rate_sum), sum(reader_bytes_rate_n), sum(writer_bytes_rate_sum), sum(writer_bytes_rate_n),
       sum(reader_count_rate_sum), sum(reader_count_rate_n), sum(writer_count_rate_sum), sum(writer_count_rate_n),
       sum(reader_error_rate_sum), sum(reader_error_rate_n), sum(writer_error_rate_sum), sum(writer_error_rate_n),
       sum(reader_error_count_sum), sum(reader_error_count_n), sum(writer_error_count_sum), sum(writer_error_count_n)
  FROM perftool_rollup
 WHERE width_seconds = 600
 GROUP BY publisher, date_bin('1 hour', bucket, timestamptz 'epoch');
