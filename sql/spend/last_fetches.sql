-- the latest successful fetch of every URL: validators for conditional GETs (last_fetch.sql for all URLs at once,
-- read once by the writer before fetcher threads start)
select url, etag, last_modified, sha256, fetched_at
from raw.fetch_manifest
where sha256 is not null and http_status = 200
qualify row_number() over (partition by url order by fetched_at desc) = 1
