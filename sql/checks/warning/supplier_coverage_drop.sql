-- the share of money resolved to a supplier fell by more than $max_coverage_drop_pp points since the previous suppliers run
with overall as (
    select run_at, amount_resolved_share, row_number() over (order by run_at desc) as age
    from core.supplier_coverage
    where council_gss is null and match_method is null
)
select 'supplier match coverage by value fell from ' || round(prev.amount_resolved_share, 1) || '% to ' || round(last.amount_resolved_share, 1) || '%'
from overall as last
join overall as prev on prev.age = 2
where last.age = 1 and prev.amount_resolved_share - last.amount_resolved_share > $max_coverage_drop_pp
