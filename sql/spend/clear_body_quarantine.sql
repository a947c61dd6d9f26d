-- a body re-parsed and loaded: forget every earlier quarantine row of it (its fetches stay in the manifest)
delete from staging.quarantine
where council_gss is not distinct from $council_gss and source_sha256 = $sha256
