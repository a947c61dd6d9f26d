-- per publication, core.fact_payment holds exactly its current staged lines: as many (each once) and the same net
-- total to the penny; a fact of a publication with no current line is a phantom. Identical lines are distinct
-- payments, so nothing may be merged.
with staged as (
    select council_gss, publication_id, count(*) as lines, sum(amount) as total
    from staging.spend_lines
    where is_current and council_gss in (select council_gss from check_councils)
    group by council_gss, publication_id
),
facts as (
    select council_gss, publication_id, count(*) as lines, count(distinct payment_key) as keys, sum(amount) as total
    from core.fact_payment
    where council_gss in (select council_gss from check_councils)
    group by council_gss, publication_id
)
select
    coalesce(s.council_gss, f.council_gss) as council_gss,
    coalesce(s.publication_id, f.publication_id) as publication_id,
    coalesce(p.period_key, '?') || ' ' || coalesce(p.source_url, s.publication_id, f.publication_id)
        || ': staged ' || coalesce(s.lines, 0) || ' current lines totalling ' || coalesce(cast(s.total as varchar), '0')
        || ', core.fact_payment ' || coalesce(f.lines, 0) || ' rows (' || coalesce(f.keys, 0) || ' distinct) totalling '
        || coalesce(cast(f.total as varchar), '0') as message
from staged as s
full join facts as f on f.council_gss = s.council_gss and f.publication_id = s.publication_id
left join staging.spend_publications as p
    on p.council_gss = coalesce(s.council_gss, f.council_gss) and p.publication_id = coalesce(s.publication_id, f.publication_id)
where ($include_held or not coalesce(p.held_back, false))
    and (coalesce(s.lines, 0) <> coalesce(f.lines, 0) or coalesce(f.keys, 0) <> coalesce(f.lines, 0)
         or coalesce(s.total, 0) <> coalesce(f.total, 0))
order by 1, 2
