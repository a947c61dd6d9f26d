-- each council's horizon at $as_of for the transparency mart, by the mart's rule (marts/transparency/horizon_rule), with its last published day and cadence: read by marts/transparency/as_of_key and marts/transparency/update_days_overdue
create or replace temp table mart_transparency_horizon as
with registry as (
    select council_gss, coalesce(nullif(lower(cadence), ''), 'unknown') as cadence, end_date
    from mart_council_registry
)
select
    p.council_gss,
    max(p.period_end) as last_day,
    coalesce(any_value(r.cadence), 'unknown') as cadence,
    transparency_horizon($as_of, any_value(r.end_date)) as horizon
from staging.spend_publications as p
left join registry as r on r.council_gss = p.council_gss
group by p.council_gss
