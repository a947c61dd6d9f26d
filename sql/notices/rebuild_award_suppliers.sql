-- the suppliers named by each kept award's winning release (one row per award x supplier party)
create or replace table staging.award_suppliers as
select distinct on (s.source, s.ocid, s.award_id, s.supplier_party_id) s.* exclude (page_sha256)
from staging.notice_supplier_rows as s
join staging.awards as a
    on a.source = s.source and a.ocid = s.ocid and a.award_id = s.award_id and a.release_id is not distinct from s.release_id
order by s.source, s.ocid, s.award_id, s.supplier_party_id
