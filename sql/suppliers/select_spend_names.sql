-- distinct supplier names of the staged spend lines, with their identifiers and the money paid to them
select
    supplier_name as name,
    council_gss,
    supplier_id,
    supplier_company_no as company_number,
    supplier_charity_no as charity_number,
    supplier_vat_reg as vat_number,
    max(creditor_type) as creditor_type,
    'spend' as source,
    sum(amount) as amount
from staging.spend_lines
group by all
