-- Publisher health for the viewer: is each Pi still reporting, and how many of its records did the server refuse?
-- Read-only views for Hasura's anonymous role; they expose counts and times, never a rejected record's bytes or
-- reason text.

-- One row per publisher: its totals, the results of the last hour and its usual interval, learnt from its own
-- recent history as the median gap between its last 21 results (robust to an outage in the past, unlike the
-- lifetime average). Silence is measured on the database's clock, so a browser's clock does not matter.
CREATE VIEW perftool_publisher_health AS
SELECT p.publisher,
       p.first_seen,
       p.last_seen,
       p.result_count,
       greatest(0, extract(epoch FROM now() - p.last_seen))::double precision AS silent_seconds,
       (SELECT count(*)
          FROM perftool r
         WHERE r.publisher = p.publisher AND r."timestamp" > now() - interval '1 hour') AS results_last_hour,
       (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY gap)
          FROM (SELECT extract(epoch FROM "timestamp" - lag("timestamp") OVER (ORDER BY "timestamp"))::double precision AS gap
                  FROM (SELECT "timestamp" FROM perftool r
                         WHERE r.publisher = p.publisher
                         ORDER BY "timestamp" DESC
                         LIMIT 21) last_results) gaps
         -- Results of several threads share a time: a zero gap is not an interval.
         WHERE gap > 0) AS usual_interval_seconds
  FROM perftool_publishers p;

-- The publisher name inside a rejected record, when one can be read: the record is a SINETStream v2/v3 message
-- (binary header, then the perftool JSON as its last field) or plain JSON, so the JSON starts at one of the first
-- '{' bytes. Tried as JSON first, then (for a truncated or otherwise invalid text) the first "name": "…" pair.
-- Never raises: anything unreadable (encrypted, not UTF-8, no name) gives NULL.
CREATE FUNCTION perftool_rejected_publisher(raw bytea) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  start integer;
  next integer;
  body text;
  doc json;
  found text;
BEGIN
  IF raw IS NULL THEN
    RETURN NULL;
  END IF;
  start := position('\x7b'::bytea IN raw);
  FOR attempt IN 1..4 LOOP
    EXIT WHEN start = 0;
    BEGIN
      body := convert_from(substring(raw FROM start), 'UTF8');
      BEGIN
        doc := body::json;
        IF json_typeof(doc) = 'object' AND json_typeof(doc -> 'name') = 'string' THEN
          found := doc ->> 'name';
        END IF;
        IF json_typeof(doc) = 'object' THEN
          RETURN CASE WHEN length(found) BETWEEN 1 AND 200 THEN found END;
        END IF;
      EXCEPTION WHEN others THEN
        found := substring(body FROM '"name"\s*:\s*"([^"\\]{1,200})"');
        IF found IS NOT NULL THEN
          RETURN found;
        END IF;
      END;
    EXCEPTION WHEN others THEN
      NULL; -- not UTF-8 from here: try the next '{'
    END;
    next := position('\x7b'::bytea IN substring(raw FROM start + 1));
    start := CASE WHEN next = 0 THEN 0 ELSE start + next END;
  END LOOP;
  RETURN NULL;
END $$;

-- Finds the last day's rejections without reading older ones.
CREATE INDEX perftool_rejected_received_at_idx ON perftool_rejected (received_at);

-- Records rejected in the last 24 hours per publisher name read from them (NULL: no readable name).
CREATE VIEW perftool_rejections_24h AS
SELECT perftool_rejected_publisher(raw) AS publisher,
       perftool_rejected_publisher(raw) IS NOT NULL AS attributed,
       count(*) AS rejected_count,
       max(received_at) AS last_rejected_at
  FROM perftool_rejected
 WHERE received_at > now() - interval '24 hours'
 GROUP BY 1, 2;
