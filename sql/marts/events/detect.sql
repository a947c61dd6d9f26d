-- the sourcing events themselves (working table for marts.sourcing_events): confirmed stops and starts of recurring, material supplier groups per council and service, with moves between service labels set aside, paired into relets, insourcings and outsourcings, the rest exits or outsourcings, and stops of a failing group supplier failures; each with its evidence scores and confidence (pipelines/marts/events.py explains the rules and the scale)
create or replace temp table event_detected as
with stop_candidates as (
    -- a recurring stop (the council published at least $min_observed_months of the 12 months up to the group's last
    -- payment, and the group was paid in $min_active_months of every 12 of them), material (its share of
    -- the service's spend), that some length of observed absence could confirm; a group paid there again within
    -- $lookback_months months had paused, not left (the mirror of a start's lookback)
    select
        st.*,
        st.confirm_m as confirmed_through,
        st.confirm_m is not null and st.confirm_m <= st.absent_through as confirmed,
        st.failure_confirm_m as failure_through,
        st.failure_confirm_m <= st.absent_through as failure_confirmable
    from event_stops as st
    where (st.next_m is null or st.next_m - st.last_m > $lookback_months)
        and st.published_before >= $min_observed_months
        and st.paid_before >= ceil(st.published_before * $min_active_months / 12.0)
        and st.share >= $min_service_share
        and st.failure_confirm_m is not null
),
start_candidates as (
    -- a start after a lookback the council published (at least $min_observed_months of the $lookback_months
    -- months, and at least as many as a chance gap would need) in which the group was never paid there, followed
    -- by recurring, material payments: at least $start_confirm_months published months, paid in $min_active_months
    -- of every 12 of them
    select sa.*
    from event_starts as sa
    where sa.published_after >= $start_confirm_months
        and sa.paid_after >= ceil(sa.published_after * $min_active_months / 12.0)
        and sa.share >= $min_service_share
        and sa.published_lookback >= greatest($min_observed_months, sa.required_absent)
),
moved_stops as (
    -- the group turns up under another service of the same council, where it had not been paid for
    -- $lookback_months months, between just before the stop and the end of the window that confirms it: its work
    -- changed label (the council recoded one supplier, or many at once when it changed ledger); it did not leave
    select distinct st.council_gss, st.service, st.entity, st.last_m
    from stop_candidates as st
    join event_starts as other
        on other.council_gss = st.council_gss and other.entity = st.entity and other.service <> st.service
        and other.first_m between st.last_m - 1
            and greatest(st.last_m + 1 + $max_gap_months, coalesce(st.confirm_m, st.failure_confirm_m))
),
moved_starts as (
    -- the mirror image: a start where the group had lately stopped under another service of the council for good
    -- (not paid there again for $lookback_months months)
    select distinct sa.council_gss, sa.service, sa.entity, sa.first_m
    from start_candidates as sa
    join event_stops as other
        on other.council_gss = sa.council_gss and other.entity = sa.entity and other.service <> sa.service
        and other.last_m between sa.first_m - 1 - $confirm_months - $max_gap_months and sa.first_m + 1
        and (other.next_m is null or other.next_m - other.last_m > $lookback_months)
),
stops as (
    select st.*
    from stop_candidates as st
    anti join moved_stops as mv
        on mv.council_gss = st.council_gss and mv.service = st.service and mv.entity = st.entity
        and mv.last_m = st.last_m
),
starts as (
    select sa.*
    from start_candidates as sa
    anti join moved_starts as mv
        on mv.council_gss = sa.council_gss and mv.service = sa.service and mv.entity = sa.entity
        and mv.first_m = sa.first_m
),
insolvent_companies as (
    select 'GB-COH-' || company_number as org_id
    from reference.companies
    where status is not null and status <> 'Active'
        and regexp_matches(status, '(?i)liquidation|administration|receiver|insolvency|dissolved|voluntary arrangement')
),
insolvent_groups as (
    -- a group is insolvent when the register says so of one of its companies or of the group's parent
    select s.group_key as entity from core.dim_supplier as s join insolvent_companies as i on i.org_id = s.org_id
    union
    select s.group_key from core.dim_supplier as s join insolvent_companies as i on i.org_id = s.group_key
),
group_last as (
    select entity, max(m) as last_paid_anywhere from event_presence where kind = 'external' group by entity
),
failable as (
    select * from stops where kind = 'external' and failure_confirmable
),
simultaneous as (
    select a.council_gss, a.service, a.entity, a.last_m, count(distinct b.council_gss) as councils_stopped
    from failable as a
    join failable as b
        on b.entity = a.entity and b.last_m between a.last_m - $failure_window_months and a.last_m + $failure_window_months
    group by all
),
failures as (
    -- the group stops being paid everywhere at about this time, and either the register shows it insolvent or
    -- $failure_min_councils councils stopped paying it at once
    select s.council_gss, s.service, s.entity, s.last_m, s.councils_stopped, i.entity is not null as insolvent
    from simultaneous as s
    join group_last as g on g.entity = s.entity
    left join insolvent_groups as i on i.entity = s.entity
    where g.last_paid_anywhere <= s.last_m + $failure_window_months
        and (i.entity is not null or s.councils_stopped >= $failure_min_councils)
),
exits as (
    select
        st.*,
        f.entity is not null as failed,
        coalesce(f.insolvent, false) as insolvent,
        f.councils_stopped,
        case when f.entity is not null then st.failure_through else st.confirmed_through end as checked_through
    from stops as st
    left join failures as f
        on f.council_gss = st.council_gss and f.service = st.service and f.entity = st.entity and f.last_m = st.last_m
    where st.confirmed or f.entity is not null
),
pairs as (
    -- a stop and a start in the same service, one of them external, the start no more than $max_gap_months
    -- published months after the stop's last payment (or overlapping it by as much): months the council never
    -- published do not separate them
    select
        x.council_gss, x.service, x.entity as from_entity, x.last_m, y.entity as to_entity, y.first_m,
        row_number() over (
            partition by x.council_gss, x.service, x.entity, x.last_m
            order by abs(h.handover), y.share desc, y.entity
        ) as rank_for_stop,
        row_number() over (
            partition by y.council_gss, y.service, y.entity, y.first_m
            order by abs(h.handover), x.share desc, x.entity
        ) as rank_for_start,
        h.handover
    from exits as x
    join starts as y
        on y.council_gss = x.council_gss and y.service = x.service and y.entity <> x.entity
        and y.first_m - x.last_m - 1 between -$max_gap_months and $max_gap_months + 12
    cross join lateral (
        select case when y.first_m > x.last_m + 1 then y.cum_before - x.cum_at_last
                    else y.first_m - x.last_m - 1 end as handover
    ) as h
    where (x.kind = 'external' or y.kind = 'external') and h.handover between -$max_gap_months and $max_gap_months
),
matched as (
    select * from pairs where rank_for_stop = 1 and rank_for_start = 1
),
incumbents as (
    -- starts where another external group was already recurring in the service during the lookback
    select distinct y.council_gss, y.service, y.entity, y.first_m
    from starts as y
    join event_presence as p
        on p.council_gss = y.council_gss and p.service = y.service and p.entity <> y.entity and p.kind = 'external'
        and p.m between y.first_m - $lookback_months and y.first_m - 1
    where y.kind = 'external'
    group by y.council_gss, y.service, y.entity, y.first_m, p.entity
    having count(*) >= $min_active_months
),
events as (
    -- a stop with a successor: relet (external to external), insourcing (external to the council, its company or
    -- another public body), outsourcing (in-house to external); a failed group's stop is a supplier_failure
    select
        case
            when x.failed then 'supplier_failure'
            when x.kind = 'external' and y.kind = 'external' then 'relet'
            when x.kind = 'external' then 'insourcing'
            else 'outsourcing'
        end as event_type,
        case when x.failed then x.first_unpaid_m else y.first_m end as start_m,
        x.council_gss, x.service,
        x.entity as from_entity, x.supplier_name as from_supplier, x.last_m as from_last_m,
        x.paid_before as from_paid_months, x.published_before, x.published_absent, x.checked_through,
        x.unpaid_rate as from_unpaid_rate,
        x.failed, x.insolvent, x.councils_stopped,
        y.entity as to_entity, y.supplier_name as to_supplier, y.kind as to_kind, y.first_m as to_first_m,
        y.paid_after as to_paid_months, y.published_lookback, y.published_after,
        y.unpaid_rate as to_unpaid_rate,
        abs(mt.handover) as handover_gap
    from matched as mt
    join exits as x
        on x.council_gss = mt.council_gss and x.service = mt.service and x.entity = mt.from_entity and x.last_m = mt.last_m
    join starts as y
        on y.council_gss = mt.council_gss and y.service = mt.service and y.entity = mt.to_entity and y.first_m = mt.first_m
    where x.kind = 'external' or x.kind <> y.kind
    union all by name
    -- an external stop nobody replaced: an exit (not an insourcing: nothing shows the council took the work on)
    select
        case when x.failed then 'supplier_failure' else 'exit' end as event_type,
        x.first_unpaid_m as start_m,
        x.council_gss, x.service,
        x.entity as from_entity, x.supplier_name as from_supplier, x.last_m as from_last_m,
        x.paid_before as from_paid_months, x.published_before, x.published_absent, x.checked_through,
        x.unpaid_rate as from_unpaid_rate,
        x.failed, x.insolvent, x.councils_stopped
    from exits as x
    where x.kind = 'external'
        and not exists (
            select 1 from matched as mt
            where mt.council_gss = x.council_gss and mt.service = x.service and mt.from_entity = x.entity
                and mt.last_m = x.last_m
        )
    union all by name
    -- an external start where no external group was recurring before and nobody stopped: an outsourcing
    select
        'outsourcing' as event_type,
        y.first_m as start_m,
        y.council_gss, y.service,
        y.entity as to_entity, y.supplier_name as to_supplier, y.kind as to_kind, y.first_m as to_first_m,
        y.paid_after as to_paid_months, y.published_lookback, y.published_after,
        y.unpaid_rate as to_unpaid_rate
    from starts as y
    where y.kind = 'external'
        and not exists (
            select 1 from matched as mt
            where mt.council_gss = y.council_gss and mt.service = y.service and mt.to_entity = y.entity
                and mt.first_m = y.first_m
        )
        and not exists (
            select 1 from incumbents as i
            where i.council_gss = y.council_gss and i.service = y.service and i.entity = y.entity and i.first_m = y.first_m
        )
)
select
    *,
    -- confidence: a logistic curve in the evidence, calibrated on the evaluation worlds (pipelines/marts/events.py)
    1 / (1 + exp(-($confidence_intercept + $confidence_slope * evidence_score))) as confidence
from (
    select
        *,
        -- the weaker side's evidence; a failure's stop is corroborated by the register and by the other councils
        least(
            case when from_entity is null then 99
                 when failed then stop_evidence + 4 * insolvent::integer + 2 * least(coalesce(councils_stopped, 1) - 1, 3)
                 else stop_evidence end,
            case when to_entity is null then 99 else start_evidence end) as evidence_score
    from (
        select
            e.*,
            md5(concat_ws('|', e.council_gss, e.service, e.event_type, e.start_m, e.from_entity, e.to_entity))
                as event_id,
            -- evidence in decades: how unlikely the observed absence after the stop (before the start) would be by
            -- chance at the group's own unpaid rate
            -e.published_absent * log10(e.from_unpaid_rate) as stop_evidence,
            -e.published_lookback * log10(e.to_unpaid_rate) as start_evidence
        from events as e
    )
)
