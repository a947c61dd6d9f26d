-- per council x financial year, the scorecard's year total equals core.fact_payment and its quarters add up to it (exact decimals)
with facts as (
    select council_gss, financial_year, sum(amount) as total
    from core.fact_payment where financial_year is not null group by all
),
years as (
    select council_gss, financial_year, total_spend from marts.keep_it_local_scorecard where period_grain = 'year'
),
quarters as (
    select council_gss, financial_year, sum(total_spend) as total
    from marts.keep_it_local_scorecard where period_grain = 'quarter' group by all
)
select 'scorecard total for ' || coalesce(f.council_gss, y.council_gss) || ' ' || coalesce(f.financial_year, y.financial_year)
    || ': core.fact_payment ' || coalesce(cast(f.total as varchar), 'none') || ', year row ' || coalesce(cast(y.total_spend as varchar), 'none')
    || ', quarters ' || coalesce(cast(q.total as varchar), 'none')
from facts as f
full join years as y on y.council_gss = f.council_gss and y.financial_year = f.financial_year
left join quarters as q on q.council_gss = coalesce(f.council_gss, y.council_gss) and q.financial_year = coalesce(f.financial_year, y.financial_year)
where f.total is distinct from y.total_spend or q.total is distinct from y.total_spend
limit 20
