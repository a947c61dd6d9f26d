-- the largest supplier groups by spend across councils in the latest financial year of the exposure mart
select
    group_key,
    max(group_name) as group_name,
    coalesce(bool_or(is_strategic), false) as is_strategic,
    max(financial_year) as financial_year,
    sum(spend)::double as spend,
    count(distinct council_gss) as councils_exposed
from marts.group_exposure
where financial_year = (select max(financial_year) from marts.group_exposure)
group by group_key
order by spend desc, group_key
limit $top
