-- each paid month of each council x service x supplier-group series (paid in at least $min_series_paid months) with what surrounds it: the previous and next paid months, the series' first and last paid months, months paid and spend in the 12 months up to it and from it, months paid in the 24 months up to it and from it (the group's payment rate), the longest gap (in published months) before it, and the service's spend (all payees) in the 12-month windows. Rows are ordered by one key (series number x 10,000 + month) and the windows are differences of running counts and sums found by ASOF joins: DuckDB's RANGE frames and millions of tiny partitions are both slow, running totals over one ordering are not, and a 24-month reach never crosses into another series.
create or replace temp table event_series as
with candidates as (
    -- only series paid in at least $min_series_paid months can hold a recurring stop or start: the rest (most
    -- series: one-off and occasional payees) are left out here, though their spend counts in the service totals
    select council_gss, service, entity
    from event_presence
    group by all
    having count(*) >= $min_series_paid
),
keyed as (
    select
        p.*,
        dense_rank() over (order by p.council_gss, p.service, p.entity) as sid
    from event_presence as p
    semi join candidates as c on c.council_gss = p.council_gss and c.service = p.service and c.entity = p.entity
),
running as (
    select
        x.*,
        x.sid * 10000 + x.m as k,
        count(*) over (order by x.sid, x.m rows unbounded preceding) as run_paid,
        sum(x.spend) over (order by x.sid, x.m rows unbounded preceding) as run_spend,
        case when lag(x.sid) over (order by x.sid, x.m) = x.sid then lag(x.m) over (order by x.sid, x.m) end as prev_m,
        case when lead(x.sid) over (order by x.sid, x.m) = x.sid then lead(x.m) over (order by x.sid, x.m) end as next_m
    from keyed as x
),
marks as (
    select k, run_paid, run_spend from running
),
windows as (
    -- paid months and spend in (m - 12, m], [m, m + 12), (m - 24, m], [m, m + 24): running totals at the window's
    -- ends (the last row at or before each end; rows of earlier series are all before any end)
    select
        r.*,
        r.run_paid - coalesce(b12.run_paid, 0) as paid_before,
        r.run_spend - coalesce(b12.run_spend, 0) as spend_before,
        a12.run_paid - r.run_paid + 1 as paid_after,
        a12.run_spend - r.run_spend + r.spend as spend_after,
        r.run_paid - coalesce(b24.run_paid, 0) as paid_24_before,
        a24.run_paid - r.run_paid + 1 as paid_24_after
    from running as r
    asof left join marks as b12 on b12.k <= r.k - 12
    asof left join marks as a12 on a12.k <= r.k + 11
    asof left join marks as b24 on b24.k <= r.k - 24
    asof left join marks as a24 on a24.k <= r.k + 23
),
gaps as (
    -- a gap is counted in months the council published: months it never published are not unpaid months
    select
        w.*,
        coalesce(cm.cum_published - cp.cum_published, 0) as gap_published
    from windows as w
    left join event_calendar as cm on cm.council_gss = w.council_gss and cm.m = w.m - 1
    left join event_calendar as cp on cp.council_gss = w.council_gss and cp.m = w.prev_m
),
longest as (
    -- the longest gap so far in the series: a running maximum of sid x 1,000 + gap over the one ordering never
    -- reaches back into an earlier series (their values are all smaller)
    select
        g.*,
        max(g.sid * 1000 + least(g.gap_published, 999)) over (order by g.sid, g.m rows unbounded preceding)
            - g.sid * 1000 as longest_gap
    from gaps as g
),
series_span as (
    select sid, min(m) as series_first_m, max(m) as series_last_m, count(*) as series_paid from keyed group by sid
),
service_months as (
    select council_gss, service, m, sum(spend) as service_spend from event_presence group by all
),
service_windows as (
    select
        council_gss, service, m,
        sum(service_spend) over (partition by council_gss, service order by m range between 11 preceding and current row)
            as service_spend_before,
        sum(service_spend) over (partition by council_gss, service order by m range between current row and 11 following)
            as service_spend_after
    from service_months
)
select
    l.* exclude (sid, k, run_paid, run_spend, gap_published),
    s.series_first_m, s.series_last_m, s.series_paid,
    sw.service_spend_before, sw.service_spend_after
from longest as l
join series_span as s on s.sid = l.sid
join service_windows as sw on sw.council_gss = l.council_gss and sw.service = l.service and sw.m = l.m
