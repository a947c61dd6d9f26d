-- a council's discovery findings of an earlier night (refused links, failed listing pages, links left over the
-- cap, no links at all): replaced by tonight's (the stage report keeps each night's counts)
delete from staging.quarantine
where council_gss = $council_gss and source_sha256 is null and reason_code like 'discovery:%'
