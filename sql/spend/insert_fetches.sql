-- record a batch of successful fetches of council files (200 or 304), registered as fetches_df
insert into raw.fetch_manifest (
    fetch_id, source_kind, url, council_gss, link_text, landing_page, period_label, fetched_at, http_status,
    content_type, etag, last_modified, bytes, sha256
)
select fetch_id, source_kind, url, council_gss, link_text, landing_page, period_label, fetched_at, http_status,
    content_type, etag, last_modified, bytes, sha256
from fetches_df
