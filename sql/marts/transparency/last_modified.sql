-- what the transparency mart reads from the fetch log: per loaded publication, the earliest date the council's server gave its bytes (Last-Modified of a 200 fetch); 304 answers and fetches of bodies never loaded change nothing here, so a night of 304s leaves this table (and the mart's input signature) as it was
create or replace temp table mart_last_modified as
select f.sha256, min(try_strptime(f.last_modified, '%a, %d %b %Y %H:%M:%S GMT')) as modified_at
from raw.fetch_manifest as f
where f.http_status = 200 and f.sha256 is not null and f.last_modified is not null
    and f.sha256 in (select publication_id from staging.spend_publications)
group by f.sha256
