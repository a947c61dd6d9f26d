-- council contracts by end date (what is coming up for re-letting as of $as_of), one row per award and supplier, with what the council paid the supplier during the contract
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
    p.paid as paid_in_contract_period
from awards as a
join core.dim_council as c on c.council_gss = a.buyer_council_gss
left join core.dim_supplier as s on s.supplier_key = a.supplier_key
left join core.dim_date as d on d.date = a.contract_end
left join paid as p on p.award_uid = a.award_uid and p.supplier_party_id is not distinct from a.supplier_party_id
