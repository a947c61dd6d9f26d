-- every payment line appears once in core.fact_payment (the lineage key source_sha256 x sheet x row_number is unique)
select 'core.fact_payment payment_key ' || payment_key || ' (' || any_value(source_url) || ' row ' || any_value(row_number) || ') appears ' || count(*) || ' times'
from core.fact_payment
group by payment_key
having count(*) > 1
order by payment_key
limit 20
