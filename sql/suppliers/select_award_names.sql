-- supplier names of the staged notice awards, with the scale, vcse and postcode evidence of each award
select
    s.supplier_name as name,
    s.source,
    s.company_number,
    s.org_id,
    s.postcode,
    s.scale,
    s.vcse,
    coalesce(a.award_date, a.release_date) as award_date
from staging.award_suppliers as s
left join staging.awards as a on a.source = s.source and a.ocid = s.ocid and a.award_id = s.award_id
