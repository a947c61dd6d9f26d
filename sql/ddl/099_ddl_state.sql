-- the DDL this file was last brought up to (a fingerprint of every file in sql/ddl/), recorded after all of them
-- ran: a writer connection that finds the same fingerprint skips running them again (pipelines.warehouse.apply_ddl)
create table if not exists meta.ddl_state (
    id integer primary key,                -- always 1: one row
    fingerprint varchar not null,
    applied_at timestamp not null
);
