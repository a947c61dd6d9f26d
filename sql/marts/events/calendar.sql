-- every month from each council's first to last month with payment lines, and whether the council published it: a month counts as published when it has at least $min_month_lines_share of the council's median monthly line count (a stray late invoice does not make a missing month look observed); cum_published counts published months up to and including the month, so published months between a and b = cum(b) - cum(a - 1). Months are numbered from January 2000.
create or replace temp table event_calendar as
with monthly as (
    select council_gss, datediff('month', date '2000-01-01', month_start) as m, count(*) as lines
    from core.fact_payment
    where month_start is not null
    group by all
),
bounds as (
    select council_gss, min(m) as first_m, max(m) as last_m, median(lines) as typical_lines
    from monthly
    group by all
),
grid as (
    select council_gss, first_m, last_m, typical_lines, unnest(range(first_m, last_m + 1)) as m
    from bounds
),
flagged as (
    select g.council_gss, g.m, g.first_m, g.last_m, coalesce(mo.lines, 0) as lines,
        coalesce(mo.lines, 0) >= $min_month_lines_share * g.typical_lines as published
    from grid as g
    left join monthly as mo on mo.council_gss = g.council_gss and mo.m = g.m
)
select *, sum(published::integer) over (partition by council_gss order by m) as cum_published
from flagged
