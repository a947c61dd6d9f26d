-- Transparency Code compliance per council x month, from each council's first published month to its last and on through the months already overdue at $as_of (trailing missing months): published or missing, when the council first published it (the file's Last-Modified, else our first fetch) and how late against the end of the period that file covers, the deadline its cadence sets (registry cadence: a monthly publisher's month is due a month after it ends; quarterly, unknown and annual publishers owe each Code quarter a month after the quarter), mandatory fields, redaction, credits and duplicated rows
insert into marts.transparency_compliance by name
with current_lines as (
    select
        l.*,
        cast(date_trunc('month', coalesce(l.payment_date, p.period_start)) as date) as month_start
    from staging.spend_lines as l
    join staging.spend_publications as p on p.council_gss = l.council_gss and p.publication_id = l.publication_id
    where l.is_current  -- line-level: a later file may replace some of a current file's lines (spend/load.py)
),
publications as (
    -- a Last-Modified before the period even began, or after we fetched the file, is not believed
    select
        p.*,
        case when lm.modified_at >= p.period_start and lm.modified_at <= p.fetched_at then lm.modified_at
             else p.fetched_at end as published_at,
        case when lm.modified_at >= p.period_start and lm.modified_at <= p.fetched_at then 'last_modified'
             else 'first_fetch' end as published_at_basis
    from staging.spend_publications as p
    -- the date the council's server gave the file (Last-Modified of a 200 fetch of those bytes), read from the
    -- fetch log by marts/transparency/last_modified
    left join mart_last_modified as lm on lm.sha256 = p.publication_id
),
registry as (
    select council_gss, coalesce(nullif(lower(cadence), ''), 'unknown') as cadence, threshold, end_date
    from mart_council_registry
),
span as (
    select
        p.council_gss,
        min(p.period_start) as first_day,
        max(p.period_end) as last_day,
        coalesce(any_value(r.cadence), 'unknown') as cadence,
        any_value(r.threshold) as threshold,
        transparency_horizon($as_of, any_value(r.end_date)) as horizon  -- marts/transparency/horizon_rule
    from staging.spend_publications as p
    left join registry as r on r.council_gss = p.council_gss
    group by p.council_gss
),
calendar as (
    select
        s.council_gss, s.cadence, s.threshold, s.last_day, s.horizon,
        cast(g.month_start as date) as month_start,
        case when month(g.month_start) >= 4
            then year(g.month_start) || '-' || lpad(cast((year(g.month_start) + 1) % 100 as varchar), 2, '0')
            else (year(g.month_start) - 1) || '-' || lpad(cast(year(g.month_start) % 100 as varchar), 2, '0')
        end as financial_year,
        cast(g.month_start + interval 1 month - interval 1 day as date) as month_end,
        -- the end of the period the month is owed in, by cadence, then a month's grace (marts/transparency/due_date)
        transparency_due_date(g.month_start, s.cadence) as due_date
    from span as s,
        unnest(generate_series(cast(date_trunc('month', s.first_day) as timestamp),
                               cast(date_trunc('month', greatest(s.last_day, s.horizon)) as timestamp),
                               interval 1 month)) as g(month_start)
),
months as (
    -- every month to the council's last published one, and after it only the months already due at $as_of
    select * from calendar where month_start <= last_day or due_date <= horizon
),
covering as (
    -- the publications covering each month, superseded ones included: the first published tells when and how late
    select
        m.council_gss, m.month_start,
        arg_min(p.period_key, p.published_at) as period_key,
        arg_min(p.period_end, p.published_at) as period_end,
        min(p.published_at) as published_at,
        arg_min(p.published_at_basis, p.published_at) as published_at_basis,
        min(p.fetched_at) as first_fetched_at,
        count(distinct p.publication_id) filter (where p.is_current) as publications
    from months as m
    join publications as p
        on p.council_gss = m.council_gss and p.period_start <= m.month_end and p.period_end >= m.month_start
    group by all
),
line_stats as (
    select
        council_gss,
        month_start,
        count(*) as lines,
        sum(amount) as spend,
        count(*) filter (where payment_date is not null and nullif(trim(transaction_id), '') is not null
            and amount is not null
            and (nullif(trim(supplier_name), '') is not null or coalesce(redaction_kind, 'none') not in ('none', 'unlabelled_blank'))
            and nullif(trim(expense_type), '') is not null
            and coalesce(nullif(trim(department), ''), nullif(trim(service_area), '')) is not null) as complete_lines,
        count(*) filter (where nullif(trim(purpose), '') is not null) as purpose_lines,
        count(*) filter (where irrecoverable_vat is not null) as vat_lines,
        count(*) filter (where coalesce(redaction_kind, 'none') <> 'none') as redacted_lines,
        sum(abs(amount)) filter (where coalesce(redaction_kind, 'none') <> 'none') as redacted_abs,
        sum(abs(amount)) as total_abs,
        count(*) filter (where amount < 0) as credit_notes
    from current_lines
    group by all
),
duplicates as (
    select council_gss, month_start, count(*) as duplicate_rows
    from (
        select council_gss, month_start,
            row_number() over (partition by council_gss, row_fingerprint order by publication_id, sheet, row_number) as copy_no
        from current_lines
        where row_fingerprint is not null
    )
    where copy_no > 1
    group by all
)
select
    m.council_gss,
    c.council_name,
    m.month_start,
    m.financial_year,
    coalesce(s.lines, 0) > 0 as published,
    case
        when coalesce(s.lines, 0) > 0 then 'published'
        when m.month_start > m.last_day then 'missing_trailing'
        else 'missing'
    end as status,
    m.cadence,
    m.threshold,
    coalesce(f.publications, 0) as publications,
    coalesce(s.lines, 0) as lines,
    s.spend,
    f.period_key,
    f.period_end,
    f.published_at,
    f.published_at_basis,
    f.first_fetched_at,
    cast(m.due_date as date) as due_date,
    cast(datediff('day', f.period_end, f.published_at) as integer) as lateness_days,
    f.published_at is not null and cast(f.published_at as date) > m.due_date as published_late,
    transparency_days_overdue(coalesce(s.lines, 0), m.due_date, m.horizon) as days_overdue,  -- marts/transparency/days_overdue
    round(100.0 * s.complete_lines / nullif(s.lines, 0), 4) as mandatory_fields_share,
    round(100.0 * s.purpose_lines / nullif(s.lines, 0), 4) as purpose_present_share,
    round(100.0 * s.vat_lines / nullif(s.lines, 0), 4) as vat_present_share,
    round(100.0 * s.redacted_lines / nullif(s.lines, 0), 4) as redacted_lines_share,
    round(100 * coalesce(s.redacted_abs, 0) / nullif(s.total_abs, 0), 4) as redacted_spend_share,
    coalesce(s.credit_notes, 0) as credit_notes,
    coalesce(d.duplicate_rows, 0) as duplicate_rows
from months as m
join core.dim_council as c on c.council_gss = m.council_gss
left join covering as f on f.council_gss = m.council_gss and f.month_start = m.month_start
left join line_stats as s on s.council_gss = m.council_gss and s.month_start = m.month_start
left join duplicates as d on d.council_gss = m.council_gss and d.month_start = m.month_start
