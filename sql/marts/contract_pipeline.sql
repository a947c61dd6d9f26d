-- council contracts by end date (what is coming up for re-letting as of $as_of), one row per award and supplier, with what the council paid the supplier during the contract, and a flag when the supplier has failed (a supplier_failure event anywhere) or this council stopped paying it during the contract (an exit, relet or insourcing in marts.sourcing_events, built before this mart)
insert into marts.contract_pipeline by name
with awards as (
    select a.*
    from core.fact_award as a
    where a.counts_once and a.buyer_council_gss is not null and a.contract_end is not null
),
paid as (
    select a.award_uid, a.supplier_party_id, sum(f.amount) as paid
    from awards as a
    join core.fact_payment as f
        on f.council_gss = a.buyer_council_gss and f.supplier_key = a.supplier_key
        and f.accounting_date between coalesce(a.contract_start, a.award_date) and a.contract_end
    group by all
),
last_paid as (
    select a.award_uid, a.supplier_party_id, max(f.month_start) as last_paid_month
    from awards as a
    join core.dim_supplier as s on s.supplier_key = a.supplier_key
    join core.dim_supplier as member on member.group_key = s.group_key
    join core.fact_payment as f on f.council_gss = a.buyer_council_gss and f.supplier_key = member.supplier_key
    where f.amount > 0
    group by all
),
flagged as (
    -- the most serious thing the events say about the supplier's group: failed anywhere, else stopped being paid
    -- by this council since the contract began
    select a.award_uid, a.supplier_party_id,
        arg_min(e.event_type, case when e.event_type = 'supplier_failure' then 0 else 1 end) as event_type,
        arg_min(e.start_month, case when e.event_type = 'supplier_failure' then 0 else 1 end) as event_month
    from awards as a
    join core.dim_supplier as s on s.supplier_key = a.supplier_key
    join marts.sourcing_events as e
        on e.from_group_key = s.group_key
        and (e.event_type = 'supplier_failure'
             or (e.council_gss = a.buyer_council_gss
                 and e.from_last_month >= coalesce(a.contract_start, a.award_date, e.from_last_month)))
    group by all
)
select
    a.buyer_council_gss as council_gss,
    c.council_name,
    a.buyer_name,
    a.award_uid,
    a.title,
    a.supplier_name,
    a.supplier_key,
    s.group_name,
    a.value_share,
    a.award_date,
    a.contract_start,
    a.contract_end,
    d.financial_year as end_financial_year,
    cast(datediff('month', cast($as_of as date), a.contract_end) as integer) as months_to_end,
    case
        when a.contract_end < cast($as_of as date) then 'ended'
        when a.contract_end < cast($as_of as date) + interval 12 month then 'ending_12_months'
        else 'later'
    end as status,
    p.paid as paid_in_contract_period,
    lp.last_paid_month as supplier_last_paid_month,
    case when fl.event_type = 'supplier_failure' then 'supplier_failed'
         when fl.event_type is not null then 'stopped_being_paid' end as supplier_flag,
    fl.event_month as supplier_flag_month
from awards as a
join core.dim_council as c on c.council_gss = a.buyer_council_gss
left join core.dim_supplier as s on s.supplier_key = a.supplier_key
left join core.dim_date as d on d.date = a.contract_end
left join paid as p on p.award_uid = a.award_uid and p.supplier_party_id is not distinct from a.supplier_party_id
left join last_paid as lp on lp.award_uid = a.award_uid and lp.supplier_party_id is not distinct from a.supplier_party_id
left join flagged as fl on fl.award_uid = a.award_uid and fl.supplier_party_id is not distinct from a.supplier_party_id
