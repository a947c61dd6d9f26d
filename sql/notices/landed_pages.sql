-- every notice page landed in raw, for a rebuild of the staging tables from scratch
select distinct m.sha256, m.source_kind
from raw.fetch_manifest as m
where m.source_kind in ('contracts_finder', 'find_a_tender', 'notices_bulk')
    and m.http_status = 200 and m.sha256 is not null
order by m.sha256
