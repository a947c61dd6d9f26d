-- share of Bristol's spend with local VCSEs (voluntary, community and social enterprise suppliers in Bristol) by financial year
select
    f.financial_year,
    sum(f.amount) as total_spend,
    coalesce(sum(f.amount) filter (where s.vcse and s.lad_gss = f.council_gss), 0) as local_vcse_spend,
    round(100 * coalesce(sum(f.amount) filter (where s.vcse and s.lad_gss = f.council_gss), 0) / nullif(sum(f.amount), 0), 2) as local_vcse_share,
    round(100 * coalesce(sum(f.amount) filter (where s.vcse), 0) / nullif(sum(f.amount), 0), 2) as any_vcse_share
from core.fact_payment as f
join core.dim_council as c on c.council_gss = f.council_gss
left join core.dim_supplier as s on s.supplier_key = f.supplier_key
where c.council_name ilike 'Bristol%'
group by f.financial_year
order by f.financial_year
