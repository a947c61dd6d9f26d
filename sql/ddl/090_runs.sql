-- run bookkeeping: one row per nightly run, the per-council stage report of each run, the publications held back
-- from the release and why, and what the incremental core build last built per council
create table if not exists meta.runs (
    run_id varchar primary key,
    started_at timestamp,                  -- when the run started (the orchestrator's record), UTC
    finished_at timestamp,                 -- when it published (the published file) / ended (the working file), UTC
    pipeline_version varchar,
    status varchar                         -- published | published_with_holds | failed | blocked
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
    held_back integer,                     -- publications of this council held back from this run's release
    primary key (run_id, council_gss)
);
alter table meta.stage_report add column if not exists held_back integer;
-- file fetches that failed tonight and how many of those a later night may cure (a failed listing page counts)
alter table meta.stage_report add column if not exists fetch_failed integer;
alter table meta.stage_report add column if not exists retryable integer;
-- what discovery lost tonight: listing pages that failed, links refused (another council's or an unknown host),
-- links left over max_links_per_council (staging.quarantine `discovery:*` names them)
alter table meta.stage_report add column if not exists pages_failed integer;
alter table meta.stage_report add column if not exists links_refused integer;
alter table meta.stage_report add column if not exists links_deferred integer;
create table if not exists meta.publication_holds (
    publication_id varchar not null,       -- staging.spend_publications.publication_id
    council_gss varchar not null,
    period_key varchar,
    source_url varchar,
    check_name varchar not null,           -- the publication check that failed (sql/checks/publication/<name>.sql)
    reason varchar not null,               -- the check's message: what failed, by how much
    held_since timestamp not null,         -- first run that held it back for this check (UTC)
    checked_at timestamp not null          -- latest build that confirmed the hold (UTC)
);                                         -- one row per council, publication and check (no index: rewritten per council)
create table if not exists meta.core_builds (
    part varchar not null,                 -- a council GSS (its payment facts) or 'fact_award'
    input_signature varchar not null,      -- hash of what the part is built from (pipelines/marts/build.py)
    built_at timestamp not null,
    fact_rows bigint,
    held_back integer
);
create table if not exists meta.supersession_state (
    council_gss varchar not null,          -- one row per council whose supersession was last applied
    input_signature varchar not null,      -- hash of its publications, holds and the supersession SQL at that time
    applied_at timestamp not null
);
