-- what each derived stage (suppliers, each mart, the extract release ...) was last built from, so a night whose
-- inputs did not change can skip it (pipelines/stage_state.py); one row per stage
create table if not exists meta.stage_builds (
    stage varchar not null,                -- e.g. 'suppliers', 'mart:sourcing_events'
    input_signature varchar not null,      -- hash of the tables it read, its code and its parameters
    output_signature varchar,              -- hash of the tables it wrote, as written
    built_at timestamp not null,           -- when it last ran (UTC)
    checked_at timestamp not null,         -- when a run last found it current, built or unchanged (UTC)
    run_id varchar,                        -- the run that last reached it
    status varchar not null,               -- built | unchanged: what that run did
    result varchar                         -- JSON: what the build reported (repeated when it is skipped)
);
