-- a URL that answers again: forget the quarantine rows of its earlier failed fetches (the manifest keeps them)
delete from staging.quarantine
where council_gss is not distinct from $council_gss and source_url = $url and source_sha256 is null
    and reason_code like 'fetch_error%'
