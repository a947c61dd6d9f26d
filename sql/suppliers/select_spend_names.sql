-- one row per (council, supplier name as published, council supplier id) of the staged spend lines, with the identifiers given for it (the smallest when lines disagree) and the money paid
select
    supplier_name as name,
    council_gss,
    supplier_id,
    min(supplier_company_no) as company_number,
    min(supplier_charity_no) as charity_number,
    min(supplier_vat_reg) as vat_number,
    max(creditor_type) as creditor_type,
    'spend' as source,
    sum(amount) as amount
from staging.spend_lines
group by supplier_name, council_gss, supplier_id
order by council_gss, supplier_name, supplier_id
