-- charities by charity number, and by the company number of a charitable company (query_numbers)
select c.charity_number, c.name, c.company_number
from reference.charities as c
join query_numbers as q on q.number = c.charity_number or q.number = c.company_number
