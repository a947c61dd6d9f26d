-- companies by the company numbers the resolver registered as query_numbers (identifier step)
select c.company_number, c.name, c.category
from reference.companies as c
join query_numbers as q on q.number = c.company_number
