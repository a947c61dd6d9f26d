-- current payment lines, one per source row, without the copies a later current publication repeats; each with its supplier, service, date and lineage
insert into core.fact_payment by name
with current_lines as (
    select
        l.*,
        p.fetched_at,
        p.period_start,
        md5(concat_ws('|', l.source_sha256, coalesce(l.sheet, ''), cast(l.row_number as varchar))) as payment_key
    from staging.spend_lines as l
    join staging.spend_publications as p on p.publication_id = l.publication_id
    where p.is_current
),
deduplicated as (
    -- a row fingerprint published by two current files (an annual file over monthly ones) keeps the latest file's rows
    select *
    from current_lines
    qualify dense_rank() over (
        partition by council_gss, coalesce(row_fingerprint, payment_key)
        order by fetched_at desc, publication_id desc
    ) = 1
),
spend_names as (
    select raw_name, council_gss, supplier_id, supplier_key
    from core.supplier_names
    where source = 'spend'
),
with_supplier as (
    select
        d.*,
        n.supplier_key
    from deduplicated as d
    left join spend_names as n
        on n.council_gss = d.council_gss and coalesce(n.raw_name, '') = coalesce(d.supplier_name, '')
    qualify row_number() over (
        partition by d.payment_key
        order by (n.supplier_id is not distinct from d.supplier_id) desc, n.supplier_key
    ) = 1
)
select
    w.payment_key,
    w.council_gss,
    w.publication_id,
    w.period_key,
    w.payment_date,
    w.date_precision,
    coalesce(w.payment_date, w.period_start) as accounting_date,
    dd.date_key,
    dd.month_start,
    dd.financial_year,
    dd.fiscal_quarter,
    w.amount,
    w.irrecoverable_vat,
    w.supplier_name,
    w.supplier_id,
    w.supplier_key,
    s.service_key,
    s.service,
    w.department,
    w.service_area,
    w.expense_type,
    w.purpose,
    w.capital_revenue,
    w.is_card,
    w.redaction_kind,
    w.transaction_id,
    w.line_no,
    w.invoice_number,
    w.row_fingerprint,
    w.source_url,
    w.source_sha256,
    w.sheet,
    w.row_number,
    w.parser_version,
    w.fetched_at
from with_supplier as w
left join core.dim_date as dd on dd.date = coalesce(w.payment_date, w.period_start)
left join core.dim_service as s
    on s.department is not distinct from w.department
    and s.service_area is not distinct from w.service_area
    and s.expense_type is not distinct from w.expense_type
