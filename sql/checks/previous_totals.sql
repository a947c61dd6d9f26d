-- year totals of the previously published scorecard, read from that file for the total-change warning
select council_gss, financial_year, total_spend from marts.keep_it_local_scorecard where period_grain = 'year'
