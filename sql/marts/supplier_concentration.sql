-- supplier concentration per council x financial year, overall and per service, by legal entity and by corporate group: HHI on percent shares (0-10000), top-1 and top-5 shares
insert into marts.supplier_concentration by name
with external_lines as (
    -- individuals and redacted payees are not a market; public bodies are not suppliers competing for work
    select f.council_gss, f.financial_year, f.service, f.amount, s.supplier_key, s.canonical_name, s.group_key, s.group_name
    from core.fact_payment as f
    join core.dim_supplier as s on s.supplier_key = f.supplier_key
    where s.is_external and f.financial_year is not null
),
by_entity as (
    select council_gss, financial_year, service, 'supplier' as entity_level, supplier_key as entity_key,
        any_value(canonical_name) as entity_name, sum(amount) as spend
    from external_lines group by council_gss, financial_year, service, supplier_key
    union all
    select council_gss, financial_year, 'all', 'supplier', supplier_key, any_value(canonical_name), sum(amount)
    from external_lines group by council_gss, financial_year, supplier_key
    union all
    select council_gss, financial_year, service, 'group', group_key, any_value(group_name), sum(amount)
    from external_lines group by council_gss, financial_year, service, group_key
    union all
    select council_gss, financial_year, 'all', 'group', group_key, any_value(group_name), sum(amount)
    from external_lines group by council_gss, financial_year, group_key
),
positive as (
    -- a supplier whose credits exceed its payments has no market share
    select
        *,
        100 * spend / sum(spend) over cell as share_pct,
        row_number() over (cell order by spend desc, entity_key) as spend_rank
    from by_entity
    where spend > 0
    window cell as (partition by council_gss, financial_year, service, entity_level)
)
select
    p.council_gss,
    c.council_name,
    p.financial_year,
    p.service,
    p.entity_level,
    sum(p.spend) as total_spend,
    count(*) as suppliers,
    round(sum(p.share_pct * p.share_pct), 2) as hhi,
    case
        when sum(p.share_pct * p.share_pct) > 2500 then 'high'
        when sum(p.share_pct * p.share_pct) >= 1500 then 'moderate'
        else 'unconcentrated'
    end as concentration_band,
    any_value(p.entity_name) filter (where p.spend_rank = 1) as top1_name,
    round(sum(p.share_pct) filter (where p.spend_rank = 1), 4) as top1_share,
    round(sum(p.share_pct) filter (where p.spend_rank <= 5), 4) as top5_share
from positive as p
join core.dim_council as c on c.council_gss = p.council_gss
group by p.council_gss, c.council_name, p.financial_year, p.service, p.entity_level
