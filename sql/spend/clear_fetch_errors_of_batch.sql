-- the URLs of a batch of successful fetches (fetches_df) answer again: forget their earlier failed fetches'
-- quarantine rows (clear_fetch_errors.sql for many URLs at once; the manifest keeps every attempt)
delete from staging.quarantine
where source_sha256 is null and reason_code like 'fetch_error%'
    and exists (
        select 1 from fetches_df f
        where f.url = staging.quarantine.source_url
            and f.council_gss is not distinct from staging.quarantine.council_gss
    )
