-- top 10 suppliers of a council (Bristol) in its latest financial year, with their classification
select
    s.canonical_name as supplier,
    s.org_type,
    s.size,
    s.vcse,
    s.group_name,
    sum(f.amount) as spend,
    count(*) as payments
from core.fact_payment as f
join core.dim_council as c on c.council_gss = f.council_gss
join core.dim_supplier as s on s.supplier_key = f.supplier_key
where c.council_name ilike 'Bristol%'
    and f.financial_year = (select max(financial_year) from core.fact_payment where council_gss = c.council_gss)
group by all
order by spend desc
limit 10
