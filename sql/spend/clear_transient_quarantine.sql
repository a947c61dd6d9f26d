-- a body now loaded or set aside for a lasting reason: forget its earlier transient quarantine rows
delete from staging.quarantine
where council_gss is not distinct from $council_gss and source_sha256 = $sha256
    and list_contains($transient_reasons, regexp_extract(reason_code, '[^:]*$'))
