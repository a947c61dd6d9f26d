-- council contracts ending within 12 months of the build's reference date: candidates for re-letting or insourcing
select council_name, supplier_name, group_name, title, value_share, contract_end, months_to_end, paid_in_contract_period
from marts.contract_pipeline
where status = 'ending_12_months'
order by contract_end, council_name
