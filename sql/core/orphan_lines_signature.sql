-- a content hash of the staged lines of councils with no publication (none, when loads are whole): the
-- per-council input signatures cover every other line
select count(*) || ':' || coalesce(cast(sum(hash(*columns(*))) as varchar), '0')
from staging.spend_lines
where council_gss not in (select council_gss from staging.spend_publications)
