-- the current lines (staging.spend_lines.is_current) of the councils being built (build_councils), one fact per
-- source line: identical lines are distinct payments, replacement is by publication (load.py). Suppliers are
-- looked up on the exact key (council, raw name, supplier id), so no line can fan out into several facts.
insert into core.fact_payment by name
with current_lines as (
    select
        l.*,
        p.fetched_at,
        p.period_start,
        -- the lineage: one line of one file of one council (the same bytes may be linked by two councils)
        md5(concat_ws('|', l.council_gss, l.source_sha256, coalesce(l.sheet, ''), cast(l.row_number as varchar)))
            as payment_key
    from staging.spend_lines as l
    join staging.spend_publications as p on p.publication_id = l.publication_id and p.council_gss = l.council_gss
    where l.is_current and p.is_current and l.council_gss in (select council_gss from build_councils)
),
spend_names as (
    -- one row per key even before core.supplier_names guarantees it (the lowest supplier_key wins)
    select council_gss, raw_name, supplier_id, supplier_key
    from core.supplier_names
    where source = 'spend' and council_gss in (select council_gss from build_councils)
    qualify row_number() over (
        partition by council_gss, raw_name, supplier_id order by supplier_key nulls last
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
    w.amount_basis,
    w.irrecoverable_vat,
    w.supplier_name,
    w.supplier_id,
    n.supplier_key,
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
from current_lines as w
left join spend_names as n
    on n.council_gss = w.council_gss
    and n.raw_name is not distinct from w.supplier_name
    and n.supplier_id is not distinct from w.supplier_id
left join core.dim_date as dd on dd.date = coalesce(w.payment_date, w.period_start)
left join core.dim_service as s
    on s.department is not distinct from w.department
    and s.service_area is not distinct from w.service_area
    and s.expense_type is not distinct from w.expense_type
