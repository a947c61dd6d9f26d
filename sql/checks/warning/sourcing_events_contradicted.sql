-- sourcing events the payments themselves contradict (no truth needed): a stop (exit, supplier_failure, or the predecessor of a relet or insourcing) whose supplier group is paid again by that council for that service within the confirmation window (to the event's confirmed_through, and at least $event_confirm_months months), or a start (outsourcing, or the successor of a relet or insourcing) whose group was paid there in the $event_lookback_months months before it
with paid as (
    select distinct f.council_gss, coalesce(f.service, 'other') as service, s.group_key, f.month_start
    from core.fact_payment as f
    join core.dim_supplier as s on s.supplier_key = f.supplier_key
    where f.amount > 0 and f.month_start is not null
),
stops as (
    select
        e.council_gss, e.council_name, e.service, e.event_type, e.start_month,
        'its stopping supplier ' || any_value(e.from_supplier) || ' is paid again in '
            || string_agg(distinct strftime(p.month_start, '%Y-%m'), ', ' order by strftime(p.month_start, '%Y-%m')) as contradiction
    from marts.sourcing_events as e
    join paid as p
        on p.council_gss = e.council_gss and p.service = e.service and p.group_key = e.from_group_key
        and p.month_start > e.from_last_month
        and p.month_start <= greatest(coalesce(e.confirmed_through, e.from_last_month),
                                      e.from_last_month + to_months($event_confirm_months))
    where e.from_group_key is not null
    group by e.event_id, e.council_gss, e.council_name, e.service, e.event_type, e.start_month
),
starts as (
    select
        e.council_gss, e.council_name, e.service, e.event_type, e.start_month,
        'its starting supplier ' || any_value(e.to_supplier) || ' was already paid in '
            || string_agg(distinct strftime(p.month_start, '%Y-%m'), ', ' order by strftime(p.month_start, '%Y-%m')) as contradiction
    from marts.sourcing_events as e
    join paid as p
        on p.council_gss = e.council_gss and p.service = e.service and p.group_key = e.to_group_key
        and p.month_start < e.to_first_month
        and p.month_start >= e.to_first_month - to_months($event_lookback_months)
    where e.to_group_key is not null
    group by e.event_id, e.council_gss, e.council_name, e.service, e.event_type, e.start_month
)
select event_type || ' of ' || service || ' at ' || council_name || ' (' || council_gss || ') from '
    || strftime(start_month, '%Y-%m') || ' is contradicted: ' || contradiction
from (select * from stops union all select * from starts)
order by council_gss, service, start_month, event_type
