-- awards at (source, ocid, award id) grain, the release with the latest date winning; duplicate_of filled later
create or replace table staging.awards as
select * exclude (rn, page_sha256), cast(null as varchar) as duplicate_of from (
    select *, row_number() over (
        partition by source, ocid, award_id order by release_date desc nulls last, release_id desc, page_sha256
    ) as rn
    from staging.notice_award_rows
) where rn = 1
