-- Transparency Code compliance per council x month, from each council's first to last published month: published or missing, lateness, mandatory fields, redaction, credits and duplicated rows
insert into marts.transparency_compliance by name
with current_lines as (
    select
        l.*,
        cast(date_trunc('month', coalesce(l.payment_date, p.period_start)) as date) as month_start
    from staging.spend_lines as l
    join staging.spend_publications as p on p.council_gss = l.council_gss and p.publication_id = l.publication_id
    where l.is_current  -- line-level: a later file may replace some of a current file's lines (spend/load.py)
),
span as (
    select council_gss, min(period_start) as first_day, max(period_end) as last_day
    from staging.spend_publications
    group by council_gss
),
months as (
    select s.council_gss, d.month_start, d.financial_year, d.month_start + interval 1 month - interval 1 day as month_end
    from span as s
    join core.dim_date as d on d.date between s.first_day and s.last_day and d.date = d.month_start
),
fetched as (
    -- the first time any publication covering the month was fetched, superseded ones included
    select m.council_gss, m.month_start, min(p.fetched_at) as first_fetched_at, count(distinct p.publication_id) filter (where p.is_current) as publications
    from months as m
    join staging.spend_publications as p
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
    coalesce(f.publications, 0) as publications,
    coalesce(s.lines, 0) as lines,
    s.spend,
    f.first_fetched_at,
    cast(datediff('day', m.month_end, f.first_fetched_at) as integer) as lateness_days,
    round(100.0 * s.complete_lines / nullif(s.lines, 0), 4) as mandatory_fields_share,
    round(100.0 * s.purpose_lines / nullif(s.lines, 0), 4) as purpose_present_share,
    round(100.0 * s.vat_lines / nullif(s.lines, 0), 4) as vat_present_share,
    round(100.0 * s.redacted_lines / nullif(s.lines, 0), 4) as redacted_lines_share,
    round(100 * coalesce(s.redacted_abs, 0) / nullif(s.total_abs, 0), 4) as redacted_spend_share,
    coalesce(s.credit_notes, 0) as credit_notes,
    coalesce(d.duplicate_rows, 0) as duplicate_rows
from months as m
join core.dim_council as c on c.council_gss = m.council_gss
left join fetched as f on f.council_gss = m.council_gss and f.month_start = m.month_start
left join line_stats as s on s.council_gss = m.council_gss and s.month_start = m.month_start
left join duplicates as d on d.council_gss = m.council_gss and d.month_start = m.month_start
