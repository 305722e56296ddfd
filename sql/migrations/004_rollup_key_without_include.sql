-- The viewer asks for all 8 metrics of each bucket, so INCLUDE-ing two of them never made its reads index-only
-- (measured with the viewer's query in bench/query.ts); it only widened the key. Without it, an upsert of an
-- existing bucket changes no indexed column and can be a HOT update (no index entry written) when its page has
-- room, which the fillfactor leaves.
ALTER TABLE perftool_rollup DROP CONSTRAINT perftool_rollup_pkey, ADD PRIMARY KEY (width_seconds, publisher, bucket);
ALTER TABLE perftool_rollup SET (fillfactor = 70);
