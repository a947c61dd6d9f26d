-- months missing from each council's spending publications, between its first and last published month
select council_name, count(*) as months_missing, string_agg(strftime(month_start, '%Y-%m'), ', ' order by month_start) as months
from marts.transparency_compliance
where not published
group by council_name
order by months_missing desc, council_name
