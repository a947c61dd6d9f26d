-- one row per council x service x supplier group x month in which the group was paid (a positive line): the series events are read from. Individuals and redacted payees are not providers. kind says who the payee is to this council: external, council_company (a company the council owns), council_itself (the council paying its own trading account), public_body (another public body or another council's company).
create or replace temp table event_presence as
with supplier_months as (
    select
        council_gss,
        coalesce(service, 'other') as service,
        supplier_key,
        datediff('month', date '2000-01-01', month_start) as m,
        sum(amount) filter (where amount > 0) as spend
    from core.fact_payment
    where month_start is not null and supplier_key is not null
    group by all
),
public_gss as (
    select org_id, min(gss) as gss from reference.public_bodies where gss is not null group by org_id
),
suppliers as (
    select s.supplier_key, s.group_key, s.canonical_name, s.org_type, s.council_owned_by, pb.gss as public_gss
    from core.dim_supplier as s
    left join public_gss as pb on pb.org_id = s.org_id
    where coalesce(s.org_type, 'other') not in ('individual', 'redacted')
)
select
    sm.council_gss,
    sm.service,
    s.group_key as entity,
    sm.m,
    sum(sm.spend) as spend,
    arg_max(s.canonical_name, sm.spend) as supplier_name,
    case
        when bool_or(s.council_owned_by = sm.council_gss) then 'council_company'
        when bool_or(s.public_gss = sm.council_gss) then 'council_itself'
        when bool_or(s.org_type = 'public_body' or s.council_owned_by is not null) then 'public_body'
        else 'external'
    end as kind
from supplier_months as sm
join suppliers as s on s.supplier_key = sm.supplier_key
where sm.spend > 0
group by sm.council_gss, sm.service, s.group_key, sm.m
