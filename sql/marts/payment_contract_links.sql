-- contracted vs off-contract spend per council x financial year: a payment is contracted when the same council awarded the same supplier a contract whose period covers the payment date
insert into marts.payment_contract_links by name
with awards as (
    select distinct award_uid, buyer_council_gss, supplier_key,
        coalesce(contract_start, award_date) as period_start, contract_end
    from core.fact_award
    where buyer_council_gss is not null and supplier_key is not null
        and coalesce(contract_start, award_date) is not null
),
matches as (
    select f.payment_key, a.award_uid, f.supplier_key
    from core.fact_payment as f
    join awards as a
        on a.buyer_council_gss = f.council_gss and a.supplier_key = f.supplier_key
        and f.accounting_date >= a.period_start
        and (a.contract_end is null or f.accounting_date <= a.contract_end)
),
flagged as (
    -- a payment inside two overlapping awards counts once
    select f.council_gss, f.financial_year, f.amount, f.payment_key,
        exists (select 1 from matches as m where m.payment_key = f.payment_key) as contracted
    from core.fact_payment as f
    where f.financial_year is not null
)
select
    g.council_gss,
    c.council_name,
    g.financial_year,
    sum(g.amount) as total_spend,
    coalesce(sum(g.amount) filter (where g.contracted), 0) as contracted_spend,
    coalesce(sum(g.amount) filter (where not g.contracted), 0) as off_contract_spend,
    round(100 * coalesce(sum(g.amount) filter (where g.contracted), 0) / nullif(sum(g.amount), 0), 4) as contracted_share,
    count(*) as payment_lines,
    count(*) filter (where g.contracted) as contracted_lines,
    (select count(distinct m.award_uid) from matches as m join core.fact_payment as p using (payment_key)
     where p.council_gss = g.council_gss and p.financial_year = g.financial_year) as awards_matched,
    (select count(distinct m.supplier_key) from matches as m join core.fact_payment as p using (payment_key)
     where p.council_gss = g.council_gss and p.financial_year = g.financial_year) as suppliers_matched
from flagged as g
join core.dim_council as c on c.council_gss = g.council_gss
group by g.council_gss, c.council_name, g.financial_year
