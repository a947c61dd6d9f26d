-- register names in the blocks (first word of the key and the next word's first letter) of the names still unresolved (query_blocks): fuzzy step
select name_key as key, 'GB-COH-' || company_number as org_id, name as reg_name, category
from reference.companies
where concat_ws(' ', split_part(name_key, ' ', 1), left(split_part(name_key, ' ', 2), 1)) in (select block from query_blocks)
union all
select name_key as key,
    case when charity_number like 'NIC%' then 'GB-NIC-' || substr(charity_number, 4) else 'GB-CHC-' || charity_number end as org_id,
    name as reg_name, 'charity' as category
from reference.charities
where concat_ws(' ', split_part(name_key, ' ', 1), left(split_part(name_key, ' ', 2), 1)) in (select block from query_blocks)
