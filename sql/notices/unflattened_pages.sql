-- notice pages landed in raw but not yet flattened into the row tables
select distinct m.sha256, m.source_kind
from raw.fetch_manifest as m
where m.source_kind in ('contracts_finder', 'find_a_tender', 'notices_bulk')
    and m.http_status = 200 and m.sha256 is not null
    and m.sha256 not in (select page_sha256 from staging.notice_release_rows)
order by m.sha256
