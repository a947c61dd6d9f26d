-- exposure of each council to each corporate group per financial year (subsidiaries rolled up to their group): spend, share of the council's total, services, councils exposed, and whether the group is the council's own company (leave those out of "most exposed to one outside group")
insert into marts.group_exposure by name
with council_totals as (
    select council_gss, financial_year, sum(amount) as total_spend
    from core.fact_payment
    where financial_year is not null
    group by all
),
group_spend as (
    select
        s.group_key,
        min(s.group_name) as group_name,
        bool_or(s.is_strategic) as is_strategic,
        coalesce(bool_or(s.council_owned_by = f.council_gss), false) as council_owned,
        f.council_gss,
        f.financial_year,
        sum(f.amount) as spend,
        string_agg(distinct f.service, ',' order by f.service) as services
    from core.fact_payment as f
    join core.dim_supplier as s on s.supplier_key = f.supplier_key
    where s.is_external and f.financial_year is not null
    group by s.group_key, f.council_gss, f.financial_year
)
select
    g.group_key,
    g.group_name,
    g.is_strategic,
    g.council_owned,
    g.council_gss,
    c.council_name,
    g.financial_year,
    g.spend,
    round(100 * g.spend / nullif(t.total_spend, 0), 4) as share,
    g.services,
    count(*) filter (where g.spend > 0) over (partition by g.group_key, g.financial_year) as councils_exposed
from group_spend as g
join council_totals as t on t.council_gss = g.council_gss and t.financial_year = g.financial_year
join core.dim_council as c on c.council_gss = g.council_gss
