-- the latest successful fetch of one URL: validators for a conditional GET and the body it returned
select etag, last_modified, sha256, fetched_at
from raw.fetch_manifest
where url = $url and sha256 is not null and http_status = 200
order by fetched_at desc
limit 1
