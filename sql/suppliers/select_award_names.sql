-- one row per (notice source, supplier name) of the staged award suppliers, with the identifiers given for it (the smallest when awards disagree)
select
    s.supplier_name as name,
    s.source,
    min(s.company_number) as company_number,
    min(s.org_id) as org_id,
    min(s.postcode) as postcode
from staging.award_suppliers as s
group by s.supplier_name, s.source
order by s.source, s.supplier_name
