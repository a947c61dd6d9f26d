-- outsourcing, insourcing, re-let, exit and supplier-failure events read from each council's monthly payment series per service and supplier group, each confirmed by the months the council published around it (detection: sql/marts/events/, rules and confidence scale: pipelines/marts/events.py), with the service's external spend either side, the months observed and the payment lines that evidence it
insert into marts.sourcing_events by name
with bounds as (
    select council_gss, min(first_m) as first_m, max(last_m) as last_m from event_calendar group by all
),
windows as (
    select s.*, least($window_months, s.start_m - b.first_m, b.last_m - s.start_m + 1) as w
    from event_detected as s
    join bounds as b on b.council_gss = s.council_gss
),
measured as (
    select
        w.event_id,
        sum(p.spend) filter (where p.m < w.start_m) as spend_before,
        sum(p.spend) filter (where p.m >= w.start_m) as spend_after
    from windows as w
    join event_presence as p
        on p.council_gss = w.council_gss and p.service = w.service and p.kind = 'external'
        and p.m between w.start_m - w.w and w.start_m + w.w - 1
    group by w.event_id
),
sides as (
    -- the stopping group's last $window_months months of payments and the starting group's first ones
    select event_id, council_gss, service, from_entity as entity, from_last_m - $window_months + 1 as first_m,
        from_last_m as last_m, true as stopping
    from windows where from_entity is not null
    union all
    select event_id, council_gss, service, to_entity, to_first_m, to_first_m + $window_months - 1, false
    from windows where to_entity is not null
),
group_lines as (
    select f.payment_key, f.source_sha256, f.sheet, f.row_number, f.month_start, f.council_gss,
        coalesce(f.service, 'other') as service, s.group_key, datediff('month', date '2000-01-01', f.month_start) as m
    from core.fact_payment as f
    join core.dim_supplier as s on s.supplier_key = f.supplier_key
    semi join (select distinct entity from sides) as e on e.entity = s.group_key
    where f.month_start is not null
),
evidence_lines as (
    select
        sd.event_id, l.payment_key, l.source_sha256, l.sheet, l.row_number, l.month_start,
        row_number() over (partition by sd.event_id
            order by case when sd.stopping then sd.last_m - l.m else l.m - sd.first_m end, l.payment_key) as nearness
    from sides as sd
    join group_lines as l
        on l.council_gss = sd.council_gss and l.service = sd.service and l.group_key = sd.entity
        and l.m between sd.first_m and sd.last_m
),
evidence as (
    select
        event_id,
        count(*) as evidence_rows,
        to_json(list(struct_pack(
            payment_key := payment_key, source_sha256 := source_sha256, sheet := sheet, row_number := row_number
        ) order by month_start, payment_key) filter (where nearness <= $evidence_max_rows)) as evidence
    from evidence_lines
    group by event_id
)
select
    w.event_id,
    w.council_gss,
    c.council_name,
    w.service,
    w.event_type,
    make_date(cast(2000 + w.start_m // 12 as integer), cast(w.start_m % 12 + 1 as integer), 1) as start_month,
    w.from_supplier,
    w.from_entity as from_group_key,
    case when w.from_last_m is not null
        then make_date(cast(2000 + w.from_last_m // 12 as integer), cast(w.from_last_m % 12 + 1 as integer), 1)
    end as from_last_month,
    case when w.checked_through is not null
        then make_date(cast(2000 + w.checked_through // 12 as integer), cast(w.checked_through % 12 + 1 as integer), 1)
    end as confirmed_through,
    w.to_supplier,
    w.to_entity as to_group_key,
    case when w.to_entity is not null then
        case when w.to_kind = 'external' then 'external' else w.to_kind end
    end as successor_kind,
    case when w.to_first_m is not null
        then make_date(cast(2000 + w.to_first_m // 12 as integer), cast(w.to_first_m % 12 + 1 as integer), 1)
    end as to_first_month,
    cast(coalesce(w.published_before, w.published_lookback) as integer) as months_observed_before,
    cast(coalesce(w.published_absent, w.published_after) as integer) as months_observed_after,
    cast(w.from_paid_months as integer) as from_months_paid,
    cast(w.to_paid_months as integer) as to_months_paid,
    case when w.failed then
        case when w.insolvent and w.councils_stopped >= $failure_min_councils then 'register_and_councils'
             when w.insolvent then 'register' else 'councils' end
    end as failure_basis,
    cast(case when w.failed then w.councils_stopped end as integer) as councils_stopped,
    coalesce(m.spend_before, 0) as spend_before,
    coalesce(m.spend_after, 0) as spend_after,
    round(w.confidence, 2) as confidence,
    coalesce(v.evidence_rows, 0) as evidence_rows,
    coalesce(cast(v.evidence as varchar), '[]') as evidence
from windows as w
join core.dim_council as c on c.council_gss = w.council_gss
left join measured as m on m.event_id = w.event_id
left join evidence as v on v.event_id = w.event_id
