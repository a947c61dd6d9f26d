-- what of $as_of the rows of marts.transparency_compliance depend on, per council, read from the rows the mart holds (built from inputs that are otherwise the same): the council's horizon ($as_of, or the day it ended if earlier) when a month it lists as unpublished is already due by then (days_overdue counts the days from the due date to the horizon); otherwise only how many months after its last published day are due by the horizon (a trailing month falling due adds a missing_trailing row). Equal keys on equal inputs: the mart would be rebuilt with the same rows.
with registry as (
    select council_gss, coalesce(nullif(lower(cadence), ''), 'unknown') as cadence, end_date
    from mart_council_registry
),
span as (
    select
        p.council_gss,
        max(p.period_end) as last_day,
        coalesce(any_value(r.cadence), 'unknown') as cadence,
        least(cast($as_of as date), coalesce(any_value(r.end_date), cast($as_of as date))) as horizon
    from staging.spend_publications as p
    left join registry as r on r.council_gss = p.council_gss
    group by p.council_gss
),
trailing_due as (
    -- the months after the last published day that are due by the horizon (the mart's calendar, from its month)
    select s.council_gss, count(*) filter (where transparency_due_date(g.month_start, s.cadence) <= s.horizon) as due_months
    from span as s,
        unnest(generate_series(cast(date_trunc('month', s.last_day) as timestamp) + interval 1 month,
                               cast(date_trunc('month', s.horizon) as timestamp),
                               interval 1 month)) as g(month_start)
    group by s.council_gss
),
overdue as (
    select m.council_gss, count(*) as overdue_months
    from marts.transparency_compliance as m
    join span as s on s.council_gss = m.council_gss
    where not m.published and m.due_date <= s.horizon
    group by m.council_gss
)
select
    s.council_gss,
    coalesce(t.due_months, 0) as trailing_due_months,
    case when coalesce(o.overdue_months, 0) > 0 then s.horizon end as overdue_horizon
from span as s
left join trailing_due as t on t.council_gss = s.council_gss
left join overdue as o on o.council_gss = s.council_gss
order by s.council_gss
