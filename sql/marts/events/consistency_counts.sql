-- sourcing events by type, and how many of them the payments cannot fully check yet: a stop whose confirmation window (to confirmed_through, at least $event_confirm_months months) ends after the council's last month of data, or a start whose $event_lookback_months-month lookback begins before its first
with span as (
    select council_gss, min(month_start) as first_month, max(month_start) as last_month
    from core.fact_payment
    group by all
)
select
    e.event_type,
    count(*) as events,
    count(*) filter (
        where (e.from_last_month is not null
               and greatest(coalesce(e.confirmed_through, e.from_last_month),
                            e.from_last_month + to_months($event_confirm_months)) > s.last_month)
           or (e.to_first_month is not null
               and e.to_first_month - to_months($event_lookback_months) < s.first_month)
    ) as window_past_data
from marts.sourcing_events as e
join span as s on s.council_gss = e.council_gss
group by e.event_type
order by e.event_type
