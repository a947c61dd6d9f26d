-- per council x month, the fact total equals the current staging total without the copies a later current file repeats (exact decimals)
with kept as (
    select l.council_gss, cast(date_trunc('month', coalesce(l.payment_date, p.period_start)) as date) as month_start, l.amount
    from staging.spend_lines as l
    join staging.spend_publications as p on p.publication_id = l.publication_id and p.is_current
    where l.row_fingerprint is null or not exists (
        select 1 from staging.spend_lines as l2
        join staging.spend_publications as p2 on p2.publication_id = l2.publication_id and p2.is_current
        where l2.council_gss = l.council_gss and l2.row_fingerprint = l.row_fingerprint
            and (p2.fetched_at > p.fetched_at or (p2.fetched_at = p.fetched_at and p2.publication_id > p.publication_id))
    )
),
staged as (
    select council_gss, month_start, coalesce(sum(amount), 0) as total from kept group by all
),
facts as (
    select council_gss, cast(date_trunc('month', accounting_date) as date) as month_start, coalesce(sum(amount), 0) as total
    from core.fact_payment group by all
)
select 'totals differ for ' || coalesce(s.council_gss, f.council_gss) || ' ' || coalesce(cast(coalesce(s.month_start, f.month_start) as varchar), 'undated')
    || ': staging ' || coalesce(cast(s.total as varchar), 'none') || ', core.fact_payment ' || coalesce(cast(f.total as varchar), 'none')
from staged as s
full join facts as f on f.council_gss = s.council_gss and f.month_start is not distinct from s.month_start
where s.total is distinct from f.total
limit 20
