-- register names in the blocks of the names still unresolved (query_blocks: block = first word of the key and the second word's initial, with the key lengths that can reach the fuzzy threshold): fuzzy step
select c.name_key as key, 'GB-COH-' || c.company_number as org_id, c.name as reg_name, c.category
from reference.companies as c
join query_blocks as q
    on q.block = split_part(c.name_key, ' ', 1) || ' ' || left(split_part(c.name_key, ' ', 2), 1)
    and length(c.name_key) between q.lo and q.hi
union all
select c.name_key as key,
    case when c.charity_number like 'NIC%' then 'GB-NIC-' || substr(c.charity_number, 4) else 'GB-CHC-' || c.charity_number end as org_id,
    c.name as reg_name, 'charity' as category
from reference.charities as c
join query_blocks as q
    on q.block = split_part(c.name_key, ' ', 1) || ' ' || left(split_part(c.name_key, ' ', 2), 1)
    and length(c.name_key) between q.lo and q.hi
