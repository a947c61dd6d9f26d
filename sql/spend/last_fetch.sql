-- the latest successful fetch of one URL: validators for a conditional GET and the body it returned, and when the
-- URL last answered a request sent without validators with a body (a row from before `conditional` was recorded
-- counts as one: its body was read whole)
select etag, last_modified, sha256, fetched_at, (
    select max(fetched_at) from raw.fetch_manifest
    where url = $url and http_status = 200 and sha256 is not null and not coalesce(conditional, false)
) as last_unconditional_at
from raw.fetch_manifest
where url = $url and sha256 is not null and http_status = 200
order by fetched_at desc
limit 1
