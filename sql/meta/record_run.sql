-- record (or update) one run's bookkeeping row; a start time already recorded is kept when none is given
insert or replace into meta.runs (run_id, started_at, finished_at, pipeline_version, status)
select
    $run_id,
    coalesce($started_at, (select r.started_at from meta.runs as r where r.run_id = $run_id)),
    $finished_at,
    $pipeline_version,
    $status
