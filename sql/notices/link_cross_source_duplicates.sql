-- link a pre-Procurement-Act above-threshold award published on both services under different ocids:
-- same buyer, same supplier (org-id, else name), same value, award dates within 7 days; Contracts Finder's copy
-- is canonical (it carries the SME/VCSE flags), the Find a Tender copy points at it
update staging.awards as f
set duplicate_of = m.cf_uid
from (
    select distinct on (f2.ocid, f2.award_id)
        f2.ocid, f2.award_id, 'contracts_finder:' || c.ocid || ':' || c.award_id as cf_uid
    from staging.awards as f2
    join staging.awards as c
        on c.source = 'contracts_finder'
        and upper(trim(c.buyer_name)) = upper(trim(f2.buyer_name))
        and c.value_amount = f2.value_amount
        and abs(date_diff('day', c.award_date, f2.award_date)) <= 7
    join staging.award_suppliers as fs
        on fs.source = f2.source and fs.ocid = f2.ocid and fs.award_id = f2.award_id
    join staging.award_suppliers as cs
        on cs.source = c.source and cs.ocid = c.ocid and cs.award_id = c.award_id
        and (cs.org_id = fs.org_id or upper(trim(cs.supplier_name)) = upper(trim(fs.supplier_name)))
    where f2.source = 'find_a_tender' and f2.award_date < date '2025-02-24'
    order by f2.ocid, f2.award_id, c.ocid, c.award_id
) as m
where f.source = 'find_a_tender' and f.ocid = m.ocid and f.award_id = m.award_id
