-- this council's deep-discovery candidates are replaced by the latest discovery
delete from reference.discovery_candidates where council_gss = $council_gss
