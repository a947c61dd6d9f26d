-- record (or update) this run's bookkeeping row before the working file is copied for publishing
insert or replace into meta.runs (run_id, started_at, finished_at, pipeline_version, status)
values ($run_id, $started_at, $finished_at, $pipeline_version, $status)
