-- one row per council x service x supplier group x month in which the group was paid (a positive line): the series events are read from. Individuals and redacted payees are not providers. kind says who the payee is to this council: external, council_company (a company the council owns), council_itself (the council paying its own trading account), public_body (another public body or another council's company). supplier_name is the group member with the month's largest line.
create or replace temp table event_presence as
with public_gss as (
    select org_id, min(gss) as gss from reference.public_bodies where gss is not null group by org_id
),
suppliers as (
    select s.supplier_key, s.group_key, s.canonical_name, s.org_type, s.council_owned_by, pb.gss as public_gss
    from core.dim_supplier as s
    left join public_gss as pb on pb.org_id = s.org_id
    where coalesce(s.org_type, 'other') not in ('individual', 'redacted')
)
select
    f.council_gss,
    coalesce(f.service, 'other') as service,
    s.group_key as entity,
    datediff('month', date '2000-01-01', f.month_start) as m,
    sum(f.amount) as spend,
    arg_max(s.canonical_name, f.amount) as supplier_name,
    case
        when bool_or(s.council_owned_by = f.council_gss) then 'council_company'
        when bool_or(s.public_gss = f.council_gss) then 'council_itself'
        when bool_or(s.org_type = 'public_body' or s.council_owned_by is not null) then 'public_body'
        else 'external'
    end as kind
from core.fact_payment as f
join suppliers as s on s.supplier_key = f.supplier_key
where f.month_start is not null and f.amount > 0
group by all
