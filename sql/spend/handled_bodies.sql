-- bodies a council has loaded or set aside for a lasting reason (body_already_handled.sql for all of them at once)
select publication_id as sha256 from staging.spend_publications where council_gss = $council_gss
union
select source_sha256 from staging.quarantine
where council_gss = $council_gss and source_sha256 is not null
    and not list_contains($transient_reasons, regexp_extract(reason_code, '[^:]*$'))
