-- forget an earlier quarantine of the same file for the same reason (re-quarantining replaces, never duplicates)
delete from staging.quarantine
where council_gss is not distinct from $council_gss and source_url is not distinct from $source_url
    and source_sha256 is not distinct from $source_sha256 and reason_code = $reason_code
