-- councils most exposed to a single corporate group: the largest group share of each council's spend in its latest financial year
select council_name, financial_year, group_name, is_strategic, spend, share, services, councils_exposed
from marts.group_exposure
where financial_year = (select max(financial_year) from marts.group_exposure)
qualify row_number() over (partition by council_gss order by share desc) = 1
order by share desc
limit 20
