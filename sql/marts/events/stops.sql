-- every month after which a group is not paid in the service the next month, with what confirms the stop: the absence that follows (to the next payment or the council's last month) in published months, and the month by which it is confirmed. Three guards set how many published months of absence confirm it: at least $confirm_months; enough that so many unpaid months in a row would happen by chance, at the group's own payment rate, less often than $chance_level (at the rate it went unpaid in the 24 months up to the stop, within the series, or, when it is paid there again later, in all the series' months outside the gap; taken at the upper end of its confidence interval: a contractor paid every month of two years needs 4 unpaid months, one paid 12 months of 18 needs 15); and the seasonal guard: more than the group's longest gap of the previous 24 months and than the months it went unpaid in the last 12 (a supplier paid half the year may be seasonal). A stop corroborated by a failure needs only $failure_confirm_months published months and the seasonal guard. Months are counted only when the council published them; the first unpaid month is the first published one after the stop.
create or replace temp table event_stops as
with located as (
    select
        s.*,
        c.last_m as council_last_m,
        c.cum_published,
        c.cum_published - coalesce(c12.cum_published, 0) as published_before,
        c.cum_published - coalesce(c24.cum_published, 0) as published_24_before,
        least(coalesce(s.next_m - 1, c.last_m), c.last_m) as absent_through,
        -- a group paid there again later shows its rate on both sides of the gap: the months outside it, from the
        -- series' first payment to the council's last month
        cl.cum_published - coalesce(cf.cum_published, 0) - (cg.cum_published - c.cum_published) as published_outside,
        s.series_paid as paid_outside
    from event_series as s
    join event_calendar as c on c.council_gss = s.council_gss and c.m = s.m
    left join event_calendar as c12 on c12.council_gss = s.council_gss and c12.m = s.m - 12
    left join event_calendar as c24
        on c24.council_gss = s.council_gss and c24.m = greatest(s.m - 24, s.series_first_m - 1)
    left join event_calendar as cf on cf.council_gss = s.council_gss and cf.m = s.series_first_m - 1
    left join event_calendar as cl on cl.council_gss = s.council_gss and cl.m = c.last_m
    left join event_calendar as cg on cg.council_gss = s.council_gss and cg.m = s.next_m - 1
    where s.next_m is null or s.next_m > s.m + 1
),
rated as (
    -- the rate at which the group goes unpaid in a published month: the upper end of a one-sided 95% Wilson
    -- interval on the last 24 months of the series, so a short or lucky run of payments does not make the group
    -- look more regular than it is (24 paid of 24 gives 0.10, 12 of 12 gives 0.18, 12 of 18 gives 0.53)
    select
        *,
        (q + 1.3530 / n + 1.645 * sqrt(q * (1 - q) / n + 0.6765 / (n * n))) / (1 + 2.706 / n) as unpaid_rate
    from (
        select
            *,
            case when next_m is null then greatest(published_24_before, paid_24_before)
                 else greatest(published_outside, paid_outside) end as n,
            case when next_m is null then 1 - paid_24_before / greatest(published_24_before, paid_24_before)
                 else 1 - paid_outside / greatest(published_outside, paid_outside) end as q
        from located
    )
),
required as (
    select
        *,
        greatest($confirm_months, cast(ceil(ln($chance_level) / ln(unpaid_rate)) as integer),
            cast(longest_gap + 1 as integer), cast(published_before - paid_before + 1 as integer)) as required_absent,
        greatest(cast(longest_gap + 1 as integer), cast(published_before - paid_before + 1 as integer),
            $failure_confirm_months) as failure_required_absent
    from rated
)
select
    r.council_gss,
    r.service,
    r.entity,
    r.kind,
    r.supplier_name,
    r.m as last_m,
    r.next_m,
    r.cum_published as cum_at_last,
    coalesce(xn.m, r.m + 1) as first_unpaid_m,
    r.council_last_m,
    r.paid_before,
    r.spend_before,
    r.spend_before / nullif(r.service_spend_before, 0) as share,
    r.published_before,
    r.absent_through,
    coalesce(ca.cum_published, r.cum_published) - r.cum_published as published_absent,
    r.unpaid_rate,
    r.required_absent,
    r.failure_required_absent,
    xc.m as confirm_m,
    xf.m as failure_confirm_m
from required as r
left join event_calendar as ca on ca.council_gss = r.council_gss and ca.m = r.absent_through
left join event_calendar as xn
    on xn.council_gss = r.council_gss and xn.published and xn.cum_published = r.cum_published + 1
left join event_calendar as xc
    on xc.council_gss = r.council_gss and xc.published and xc.cum_published = r.cum_published + r.required_absent
left join event_calendar as xf
    on xf.council_gss = r.council_gss and xf.published and xf.cum_published = r.cum_published + r.failure_required_absent
