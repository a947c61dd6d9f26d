-- a content hash of the registry frame registered as councils_input (what core.dim_council is built from)
select count(*) || ':' || coalesce(cast(sum(hash(*columns(*))) as varchar), '0') from councils_input
