-- releases deduplicated on (source, release id): the latest date wins
create or replace table staging.notice_releases as
select * exclude (rn) from (
    select *, row_number() over (partition by source, release_id order by date desc nulls last, page_sha256) as rn
    from staging.notice_release_rows
    where release_id is not null  -- marker rows of empty pages
) where rn = 1
