-- the scale, vcse and postcode evidence of every staged award supplier, with the award date that orders it
select
    s.supplier_name as name,
    s.source,
    s.scale,
    s.vcse,
    s.postcode,
    coalesce(a.award_date, a.release_date) as award_date
from staging.award_suppliers as s
left join staging.awards as a on a.source = s.source and a.ocid = s.ocid and a.award_id = s.award_id
