-- every council file URL in the manifest: when it was last asked for, and when it last gave a body (null: never),
-- so the links over a council's cap are taken new files first, then those asked for longest ago
select url, max(fetched_at) as last_attempt_at,
       max(fetched_at) filter (where sha256 is not null and http_status = 200) as last_body_at
from raw.fetch_manifest
where source_kind = 'council_file' and ($council_gss is null or council_gss = $council_gss)
group by url
