-- record one fetch of a council file (200, 304 or a failure) in the raw manifest
insert into raw.fetch_manifest (
    fetch_id, source_kind, url, council_gss, link_text, landing_page, period_label, fetched_at, http_status,
    content_type, etag, last_modified, bytes, sha256, conditional, final_url
) values (
    $fetch_id, $source_kind, $url, $council_gss, $link_text, $landing_page, $period_label, $fetched_at,
    $http_status, $content_type, $etag, $last_modified, $bytes, $sha256, $conditional, $final_url
)
