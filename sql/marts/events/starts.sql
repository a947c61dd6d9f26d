-- every month in which a group is paid in the service after not being paid there for more than $lookback_months months (or ever, in the data): how many of the lookback months the council published, the months paid, spend and published months in the year from the start, and the unpaid run a chance gap would need at the rate the group goes unpaid after the start (in the 24 months from it, within the series, at the upper end of a one-sided 95% Wilson interval, as for stops): the lookback must have shown at least that many published months, so a sporadic supplier's long quiet spell is not a start
create or replace temp table event_starts as
with located as (
    select
        s.*,
        coalesce(cb.cum_published, 0) as cum_before,
        coalesce(cb.cum_published, 0) - coalesce(cl.cum_published, 0) as published_lookback,
        ca.cum_published - coalesce(cb.cum_published, 0) as published_after,
        c24.cum_published - coalesce(cb.cum_published, 0) as published_24_after
    from event_series as s
    join event_calendar as c on c.council_gss = s.council_gss and c.m = s.m
    left join event_calendar as cb on cb.council_gss = s.council_gss and cb.m = s.m - 1
    left join event_calendar as cl on cl.council_gss = s.council_gss and cl.m = s.m - 1 - $lookback_months
    left join event_calendar as ca on ca.council_gss = s.council_gss and ca.m = least(s.m + 11, c.last_m)
    left join event_calendar as c24
        on c24.council_gss = s.council_gss and c24.m = least(s.m + 23, s.series_last_m, c.last_m)
    where s.prev_m is null or s.m - s.prev_m > $lookback_months
)
select
    council_gss,
    service,
    entity,
    kind,
    supplier_name,
    m as first_m,
    prev_m,
    cum_before,
    paid_after,
    spend_after,
    spend_after / nullif(service_spend_after, 0) as share,
    published_lookback,
    published_after,
    unpaid_rate,
    cast(ceil(ln($chance_level) / ln(unpaid_rate)) as integer) as required_absent
from (
    select
        *,
        (q + 1.3530 / n + 1.645 * sqrt(q * (1 - q) / n + 0.6765 / (n * n))) / (1 + 2.706 / n) as unpaid_rate
    from (
        select
            *,
            greatest(published_24_after, paid_24_after) as n,
            1 - paid_24_after / greatest(published_24_after, paid_24_after) as q
        from located
    )
)
