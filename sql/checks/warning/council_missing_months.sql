-- councils with months missing between their first and last published month
select council_name || ' (' || council_gss || ') has no payments for ' || count(*) || ' month(s): '
    || string_agg(strftime(month_start, '%Y-%m'), ', ' order by month_start)
from marts.transparency_compliance
where not published
group by council_gss, council_name
order by council_gss
