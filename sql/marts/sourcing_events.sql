-- outsourcing, insourcing and re-let events detected from each council's monthly payment series per service line and supplier (parameters: see pipelines.marts.build.DEFAULT_MART_PARAMS)
insert into marts.sourcing_events by name
with lines as (
    select
        f.payment_key, f.council_gss, f.service, f.supplier_key, f.amount, f.source_sha256, f.sheet, f.row_number,
        year(f.month_start) * 12 + month(f.month_start) - 1 as m
    from core.fact_payment as f
    where f.month_start is not null
),
council_months as (
    select distinct council_gss, m from lines
),
service_months as (
    select council_gss, service, m, sum(amount) as service_spend from lines group by all
),
providers as (
    -- a public body or a company this council owns is in-house delivery; individuals and redacted payees are not providers
    select
        l.council_gss, l.service, l.supplier_key, l.m, sum(l.amount) as spend,
        any_value(s.canonical_name) as supplier_name,
        coalesce(bool_or(s.org_type = 'public_body' or s.council_owned_by = l.council_gss), false) as in_house
    from lines as l
    join core.dim_supplier as s on s.supplier_key = l.supplier_key
    where s.org_type not in ('individual', 'redacted')
    group by l.council_gss, l.service, l.supplier_key, l.m
),
active as (
    select p.*, p.spend / sm.service_spend as share
    from providers as p
    join service_months as sm using (council_gss, service, m)
    where p.spend > 0 and sm.service_spend > 0 and p.spend / sm.service_spend >= $min_monthly_share
),
islands as (
    select *, sum(new_run) over (partition by council_gss, service, supplier_key order by m) as run_no
    from (
        select *,
            case when m - lag(m) over (partition by council_gss, service, supplier_key order by m)
                <= 1 + $allowed_missing_months then 0 else 1 end as new_run
        from active
    )
),
runs as (
    select
        council_gss, service, supplier_key, run_no,
        any_value(supplier_name) as supplier_name,
        bool_or(in_house) as in_house,
        min(m) as first_m,
        max(m) as last_m,
        count(*) as active_months,
        coalesce(stddev_pop(spend) / nullif(avg(spend), 0), 0) as cv,
        avg(share) as avg_share
    from islands
    group by all
    having count(*) >= $min_run_months
        and coalesce(stddev_pop(spend) / nullif(avg(spend), 0), 0) <= $max_amount_cv
),
observed as (
    -- a start or stop is an event only where the council published the months either side of it
    select
        r.*,
        0.5 * least(1, r.active_months / (2.0 * $min_run_months)) + 0.3 * (1 - least(r.cv, 1)) + 0.2 * least(r.avg_share, 1)
            as quality,
        (select count(*) from council_months as cm
         where cm.council_gss = r.council_gss and cm.m between r.first_m - $confirm_months and r.first_m - 1)
            = $confirm_months as start_observed,
        (select count(*) from council_months as cm
         where cm.council_gss = r.council_gss and cm.m between r.last_m + 1 and r.last_m + $confirm_months)
            = $confirm_months as stop_observed
    from runs as r
),
successions as (
    select
        a.council_gss, a.service,
        case when b.in_house then 'insourcing' else 'relet' end as event_type,
        b.first_m as start_m,
        a.supplier_key as from_key, a.supplier_name as from_supplier,
        b.supplier_key as to_key, b.supplier_name as to_supplier,
        (a.quality + b.quality) / 2 as confidence
    from observed as a
    join observed as b
        on b.council_gss = a.council_gss and b.service = a.service and b.supplier_key <> a.supplier_key
        and b.start_observed
        and b.first_m between a.last_m - $max_gap_months and a.last_m + 1 + $max_gap_months
    where a.stop_observed and not a.in_house
    qualify row_number() over (
        partition by a.council_gss, a.service, a.supplier_key, a.run_no
        order by abs(b.first_m - a.last_m - 1), b.avg_share desc, b.supplier_key
    ) = 1
),
ended as (
    -- a contractor's recurring payments stop and nobody starts: the service came back in-house
    select
        a.council_gss, a.service, 'insourcing' as event_type, a.last_m + 1 as start_m,
        a.supplier_key as from_key, a.supplier_name as from_supplier,
        null as to_key, null as to_supplier,
        0.8 * a.quality as confidence
    from observed as a
    where a.stop_observed and not a.in_house
        and not exists (
            select 1 from successions as s
            where s.council_gss = a.council_gss and s.service = a.service and s.from_key = a.supplier_key
                and s.start_m between a.last_m - $max_gap_months and a.last_m + 1 + $max_gap_months
        )
),
outsourced as (
    -- a new external supplier's recurring payments begin where no external supplier was recurring before
    select
        b.council_gss, b.service, 'outsourcing' as event_type, b.first_m as start_m,
        null as from_key, null as from_supplier,
        b.supplier_key as to_key, b.supplier_name as to_supplier,
        b.quality as confidence
    from observed as b
    where b.start_observed and not b.in_house
        and not exists (
            select 1 from runs as r
            where r.council_gss = b.council_gss and r.service = b.service and not r.in_house
                and r.supplier_key <> b.supplier_key
                and r.first_m < b.first_m and r.last_m >= b.first_m - $lookback_months
        )
),
events as (
    select * from successions
    union all by name
    select * from ended
    union all by name
    select * from outsourced
),
windows as (
    select
        e.*,
        least(
            $window_months,
            e.start_m - (select min(m) from council_months as cm where cm.council_gss = e.council_gss),
            (select max(m) from council_months as cm where cm.council_gss = e.council_gss) - e.start_m + 1
        ) as w
    from events as e
),
measured as (
    select
        w.*,
        (select sum(p.spend) from providers as p
         where p.council_gss = w.council_gss and p.service = w.service and not p.in_house
             and p.m between w.start_m - w.w and w.start_m - 1) as spend_before,
        (select sum(p.spend) from providers as p
         where p.council_gss = w.council_gss and p.service = w.service and not p.in_house
             and p.m between w.start_m and w.start_m + w.w - 1) as spend_after
    from windows as w
),
evidence as (
    select
        w.council_gss, w.service, w.event_type, w.start_m, w.from_key, w.to_key,
        count(*) as evidence_rows,
        to_json(list(struct_pack(
            payment_key := l.payment_key, source_sha256 := l.source_sha256, sheet := l.sheet, row_number := l.row_number
        ) order by l.m, l.payment_key)) as evidence
    from windows as w
    join lines as l
        on l.council_gss = w.council_gss and l.service = w.service
        and (
            (l.supplier_key = w.from_key and l.m between w.start_m - w.w and w.start_m - 1)
            or (l.supplier_key = w.to_key and l.m between w.start_m and w.start_m + w.w - 1)
        )
    group by all
)
select
    m.council_gss,
    c.council_name,
    m.service,
    m.event_type,
    make_date(cast(m.start_m // 12 as integer), cast(m.start_m % 12 + 1 as integer), 1) as start_month,
    m.from_supplier,
    m.to_supplier,
    coalesce(m.spend_before, 0) as spend_before,
    coalesce(m.spend_after, 0) as spend_after,
    round(m.confidence, 2) as confidence,
    coalesce(v.evidence_rows, 0) as evidence_rows,
    coalesce(cast(v.evidence as varchar), '[]') as evidence
from measured as m
join core.dim_council as c on c.council_gss = m.council_gss
left join evidence as v
    on v.council_gss = m.council_gss and v.service = m.service and v.event_type = m.event_type
    and v.start_m = m.start_m and v.from_key is not distinct from m.from_key and v.to_key is not distinct from m.to_key
