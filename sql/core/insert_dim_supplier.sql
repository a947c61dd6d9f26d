-- suppliers as resolved by the suppliers build, with the group roll-up defaulting to the supplier itself
insert into core.dim_supplier by name
select
    supplier_key,
    canonical_name,
    nullif(trim(org_id), '') as org_id,          -- the suppliers build writes an empty org_id for unresolved names
    org_type,
    coalesce(size, 'unknown') as size,
    coalesce(vcse, false) as vcse,
    postcode,
    lad_gss,
    county_gss,
    coalesce(county_gss, lad_gss) as county_area,
    region_gss,
    coalesce(group_key, supplier_key) as group_key,
    coalesce(group_name, canonical_name) as group_name,
    coalesce(is_strategic, false) as is_strategic,
    council_owned_by,
    coalesce(org_type, 'other') not in ('public_body', 'individual', 'redacted') as is_external
from core.suppliers
qualify row_number() over (partition by supplier_key order by canonical_name) = 1
