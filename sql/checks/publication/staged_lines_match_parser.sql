-- staging holds exactly the lines the parser output for each publication: as many, and the same net total to the
-- penny (the publication row records the parser's own count and total, taken before the lines were written)
with staged as (
    select council_gss, publication_id, count(*) as lines, sum(amount) as total
    from staging.spend_lines
    where council_gss in (select council_gss from check_councils)
    group by council_gss, publication_id
)
select
    p.council_gss,
    p.publication_id,
    p.period_key || ' ' || coalesce(p.source_url, p.publication_id) || ': parsed ' || coalesce(cast(p.rows as varchar), 'an unrecorded number of') || ' lines totalling '
        || coalesce(cast(p.net_total as varchar), '0') || ', staged ' || coalesce(s.lines, 0) || ' totalling '
        || coalesce(cast(s.total as varchar), '0') as message
from staging.spend_publications as p
left join staged as s on s.council_gss = p.council_gss and s.publication_id = p.publication_id
where p.council_gss in (select council_gss from check_councils)
    and ($include_held or not p.held_back)
    and (p.rows is distinct from coalesce(s.lines, 0) or coalesce(p.net_total, 0) <> coalesce(s.total, 0))
order by p.council_gss, p.publication_id
