-- council x financial-year totals that moved more than $max_change_pct percent since the previous published warehouse (previous_totals is registered by checks.py)
select council_gss || ' ' || financial_year || ' total changed by ' || round(100 * (cur.total_spend - prev.total_spend) / abs(prev.total_spend), 1)
    || '% since the previous publish (' || cast(prev.total_spend as varchar) || ' -> ' || cast(cur.total_spend as varchar) || ')'
from marts.keep_it_local_scorecard as cur
join previous_totals as prev using (council_gss, financial_year)
where cur.period_grain = 'year' and prev.total_spend <> 0
    and abs(cur.total_spend - prev.total_spend) / abs(prev.total_spend) * 100 > $max_change_pct
order by council_gss, financial_year
