-- the dimension keys the facts join on are unique
select 'core.' || dimension || ' key ' || key || ' appears ' || n || ' times'
from (
    select 'dim_council' as dimension, council_gss as key, count(*) as n from core.dim_council group by 2 having count(*) > 1
    union all
    select 'dim_date', cast(date_key as varchar), count(*) from core.dim_date group by 2 having count(*) > 1
    union all
    select 'dim_service', service_key, count(*) from core.dim_service group by 2 having count(*) > 1
    union all
    select 'dim_supplier', supplier_key, count(*) from core.dim_supplier group by 2 having count(*) > 1
)
order by 1
limit 20
