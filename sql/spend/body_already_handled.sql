-- has this council already loaded this exact body, or set it aside for a lasting reason? A body quarantined
-- for a transient reason (network, timeout, 5xx, load error...) is not handled: a later night tries it again
select
    exists (
        select 1 from staging.spend_publications where council_gss = $council_gss and publication_id = $sha256
    ) or exists (
        select 1 from staging.quarantine
        where council_gss = $council_gss and source_sha256 = $sha256
            and not list_contains($transient_reasons, regexp_extract(reason_code, '[^:]*$'))
    ) as handled
