-- companies whose current name key is one of the keys the resolver registered as query_keys (exact name step)
select c.company_number, c.name, c.name_key as key, c.category
from reference.companies as c
join query_keys as q on q.key = c.name_key
