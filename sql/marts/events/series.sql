-- each paid month of each council x service x supplier-group series with what surrounds it: the previous and next paid months, the series' first and last paid months, months paid and spend in the 12 months up to it and from it, months paid in the 24 months up to it and from it (the group's payment rate), the longest gap (in published months) in the 24 months up to it, and the service's spend (all payees) in the 12-month windows
create or replace temp table event_series as
with service_months as (
    select council_gss, service, m, sum(spend) as service_spend
    from event_presence
    group by all
),
service_windows as (
    select
        council_gss, service, m,
        sum(service_spend) over (partition by council_gss, service order by m range between 11 preceding and current row)
            as service_spend_before,
        sum(service_spend) over (partition by council_gss, service order by m range between current row and 11 following)
            as service_spend_after
    from service_months
),
windows as (
    select
        p.*,
        lag(p.m) over w as prev_m,
        lead(p.m) over w as next_m,
        min(p.m) over (partition by p.council_gss, p.service, p.entity) as series_first_m,
        max(p.m) over (partition by p.council_gss, p.service, p.entity) as series_last_m,
        count(*) over (w range between 23 preceding and current row) as paid_24_before,
        count(*) over (w range between current row and 23 following) as paid_24_after,
        count(*) over (w range between 11 preceding and current row) as paid_before,
        sum(p.spend) over (w range between 11 preceding and current row) as spend_before,
        count(*) over (w range between current row and 11 following) as paid_after,
        sum(p.spend) over (w range between current row and 11 following) as spend_after
    from event_presence as p
    window w as (partition by p.council_gss, p.service, p.entity order by p.m)
),
gaps as (
    -- a gap is counted in months the council published: months it never published are not unpaid months
    select
        w.*,
        max(coalesce(cm.cum_published - cp.cum_published, 0)) over (
            partition by w.council_gss, w.service, w.entity order by w.m range between 23 preceding and current row
        ) as longest_gap
    from windows as w
    left join event_calendar as cm on cm.council_gss = w.council_gss and cm.m = w.m - 1
    left join event_calendar as cp on cp.council_gss = w.council_gss and cp.m = w.prev_m
)
select g.*, sw.service_spend_before, sw.service_spend_after
from gaps as g
join service_windows as sw on sw.council_gss = g.council_gss and sw.service = g.service and sw.m = g.m
