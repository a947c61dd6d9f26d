-- whether a council ever gave us a file body (a landing page that now yields no file link is then a loss)
select exists (
    select 1 from raw.fetch_manifest
    where council_gss = $council_gss and source_kind = 'council_file' and sha256 is not null
)
