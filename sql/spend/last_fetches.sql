-- the latest successful fetch of every URL: validators for conditional GETs (last_fetch.sql for all URLs at once,
-- read once by the writer before fetcher threads start), with the URL's last unconditional 200 (last_fetch.sql)
select url, etag, last_modified, sha256, fetched_at, last_unconditional_at
from (
    select url, etag, last_modified, sha256, fetched_at, http_status,
           max(fetched_at) filter (where not coalesce(conditional, false))
               over (partition by url) as last_unconditional_at
    from raw.fetch_manifest
    where sha256 is not null and http_status = 200
)
qualify row_number() over (partition by url order by fetched_at desc) = 1
