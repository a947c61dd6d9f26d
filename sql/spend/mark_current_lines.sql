-- the councils in supersede_councils: a line is current when its publication is, and no publication of the same kind fetched after it
-- (not held back) covers the line's own date span: its day, or its month / quarter at month / quarter precision
-- (a month republished after the annual file that covered it). Lines without such a span stay with their
-- publication. Only lines whose state changes are written.
update staging.spend_lines as l
set is_current = s.is_current
from (
    with publications as (
        select publication_id, council_gss, dataset_kind, period_start, period_end, fetched_at, is_current, held_back
        from staging.spend_publications
        where council_gss in (select council_gss from supersede_councils)
    ),
    covers as (
        -- the later publications overlapping part of a current publication's period
        select p.council_gss, p.publication_id, q.period_start as cover_start, q.period_end as cover_end
        from publications as p
        join publications as q
            on q.council_gss = p.council_gss
            and q.dataset_kind = p.dataset_kind
            and q.publication_id <> p.publication_id
            and not q.held_back
            and (q.fetched_at > p.fetched_at or (q.fetched_at = p.fetched_at and q.publication_id > p.publication_id))
            and q.period_start <= p.period_end
            and q.period_end >= p.period_start
        where p.is_current
    ),
    spans as (
        select
            l.rowid as line_rowid,
            l.council_gss,
            l.publication_id,
            p.is_current as publication_current,
            case l.date_precision
                when 'month' then cast(date_trunc('month', l.payment_date) as date)
                when 'quarter' then cast(date_trunc('quarter', l.payment_date) as date)
                else l.payment_date
            end as span_start,
            case l.date_precision
                when 'month' then last_day(l.payment_date)
                when 'quarter' then cast(date_trunc('quarter', l.payment_date) + interval 3 month - interval 1 day as date)
                else l.payment_date
            end as span_end,
            coalesce(l.date_precision, 'day') in ('day', 'month', 'quarter') and l.payment_date is not null as has_span
        from staging.spend_lines as l
        join publications as p on p.council_gss = l.council_gss and p.publication_id = l.publication_id
        where l.council_gss in (select council_gss from supersede_councils)
    )
    select
        line_rowid,
        publication_current and not (has_span and exists (
            select 1 from covers as c
            where c.council_gss = spans.council_gss and c.publication_id = spans.publication_id
                and c.cover_start <= spans.span_start
                and c.cover_end >= spans.span_end
        )) as is_current
    from spans
) as s
where l.rowid = s.line_rowid and l.is_current is distinct from s.is_current
