-- has this council already parsed (loaded or quarantined) this exact body?
select
    exists (
        select 1 from staging.spend_publications where council_gss = $council_gss and publication_id = $sha256
    ) or exists (
        select 1 from staging.quarantine where council_gss = $council_gss and source_sha256 = $sha256
    ) as handled
