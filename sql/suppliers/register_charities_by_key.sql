-- charities whose name key is one of the keys registered as query_keys (exact name step)
select c.charity_number, c.name, c.name_key as key, c.company_number
from reference.charities as c
join query_keys as q on q.key = c.name_key
