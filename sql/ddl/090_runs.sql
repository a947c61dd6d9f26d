-- run bookkeeping: one row per nightly run, and the per-council stage report of each run
create table if not exists meta.runs (
    run_id varchar primary key,
    started_at timestamp,
    finished_at timestamp,
    pipeline_version varchar,
    status varchar
);
create table if not exists meta.stage_report (
    run_id varchar not null,
    council_gss varchar not null,
    council_name varchar,
    discovered integer,
    fetched integer,
    not_modified integer,
    parsed integer,
    quarantined integer,
    rows bigint,
    error varchar,
    primary key (run_id, council_gss)
);
