-- no payment is counted twice: one fact row per source row, a fingerprint from one publication only, and every fact row a current staging line
select msg from (
    select 'duplicated payment: ' || any_value(source_url) || ' row ' || coalesce(cast(row_number as varchar), '?') || ' is in ' || count(*) || ' fact rows' as msg
    from core.fact_payment
    group by source_sha256, sheet, row_number
    having count(*) > 1
    union all
    select 'duplicated payment: fingerprint ' || row_fingerprint || ' of ' || council_gss || ' counted from ' || count(distinct publication_id) || ' publications'
    from core.fact_payment
    where row_fingerprint is not null
    group by council_gss, row_fingerprint
    having count(distinct publication_id) > 1
    union all
    select 'phantom payment: fact row ' || f.payment_key || ' matches no current staging line'
    from core.fact_payment as f
    where not exists (
        select 1 from staging.spend_lines as l
        join staging.spend_publications as p on p.publication_id = l.publication_id and p.is_current
        where l.source_sha256 = f.source_sha256 and l.sheet is not distinct from f.sheet and l.row_number = f.row_number
    )
)
limit 20
