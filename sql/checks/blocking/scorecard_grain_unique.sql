-- one scorecard row per council x financial year x period grain x quarter
select 'marts.keep_it_local_scorecard has ' || count(*) || ' rows for ' || council_gss || ' ' || financial_year || ' ' || period_grain || ' ' || coalesce(quarter, '')
from marts.keep_it_local_scorecard
group by council_gss, financial_year, period_grain, quarter
having count(*) > 1
limit 20
