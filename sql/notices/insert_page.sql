-- record one notice API page fetch (request url, params, window) in the raw manifest
insert into raw.fetch_manifest (
    fetch_id, source_kind, url, request_params, window_start, window_end, fetched_at, http_status,
    content_type, bytes, sha256
) values (
    $fetch_id, $source_kind, $url, $request_params, $window_start, $window_end, $fetched_at, $http_status,
    $content_type, $bytes, $sha256
)
