-- companies one of whose previous name keys is one of the keys registered as query_keys (previous-name step)
select p.company_number, p.name, p.key, p.category
from (
    select company_number, name, category, unnest(previous_name_keys) as key
    from reference.companies
    where len(previous_name_keys) > 0
) as p
join query_keys as q on q.key = p.key
