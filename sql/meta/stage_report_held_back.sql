-- this run's stage report: publications of each council held back from the release
update meta.stage_report as r
set held_back = (
    select count(*) from staging.spend_publications as p
    where p.council_gss = r.council_gss and p.held_back and p.superseded_by is null
)
where r.run_id = $run_id
