-- per publication, casts that produced nulls stay rare. A date is a cast null where the file had a value that did
-- not parse (row flag date_unparsed / date_lost) or a day-precision line has no date, unless the line is still
-- dated to its month or quarter (date_precision month / quarter: a month-only date column, or a monthly file whose
-- period places the money): its money lands in the right month either way. Files without a date column are not
-- nulls. Amount: lines without an amount.
-- A publication fails when the share is over the limit and at least $min_null_lines lines are affected.
with stats as (
    select
        council_gss,
        publication_id,
        count(*) as lines,
        count(*) filter (where (regexp_matches(coalesce(row_flags, ''), '(^|,)(date_unparsed|date_lost)(,|$)')
                                or (payment_date is null and date_precision = 'day'))
                               and coalesce(date_precision, 'none') not in ('month', 'quarter')) as null_dates,
        count(*) filter (where amount is null) as null_amounts
    from staging.spend_lines
    where council_gss in (select council_gss from check_councils)
    group by council_gss, publication_id
),
failures as (
    select p.council_gss, p.publication_id, p.period_key, p.source_url, 'payment_date did not parse on ' || s.null_dates
        || ' of ' || s.lines || ' lines (' || round(100.0 * s.null_dates / s.lines, 2) || '%, limit '
        || $max_null_date_pct || '%)' as what
    from stats as s join staging.spend_publications as p using (council_gss, publication_id)
    where s.null_dates >= $min_null_lines and 100.0 * s.null_dates / s.lines > $max_null_date_pct
    union all
    select p.council_gss, p.publication_id, p.period_key, p.source_url, 'amount is missing on ' || s.null_amounts
        || ' of ' || s.lines || ' lines (' || round(100.0 * s.null_amounts / s.lines, 2) || '%, limit '
        || $max_null_amount_pct || '%)'
    from stats as s join staging.spend_publications as p using (council_gss, publication_id)
    where s.null_amounts >= $min_null_lines and 100.0 * s.null_amounts / s.lines > $max_null_amount_pct
)
select f.council_gss, f.publication_id, f.period_key || ' ' || coalesce(f.source_url, f.publication_id) || ': ' || f.what
from failures as f
join staging.spend_publications as p on p.council_gss = f.council_gss and p.publication_id = f.publication_id
where $include_held or not p.held_back
order by 1, 2, 3
