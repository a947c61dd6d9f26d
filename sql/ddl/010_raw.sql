-- raw layer: one row per HTTP fetch (or local file landed); bodies live in warehouse/raw/ by sha256
create table if not exists raw.fetch_manifest (
    fetch_id varchar primary key,          -- sha256 of (url, fetched_at): unique per fetch
    source_kind varchar not null,          -- council_page | council_file | ckan | contracts_finder | find_a_tender | register
    url varchar not null,
    council_gss varchar,                   -- for council pages/files
    link_text varchar,                     -- the anchor text the file was found under
    landing_page varchar,                  -- the page the link was found on
    period_label varchar,                  -- the period the link text / file name names, e.g. 2024-03
    request_params varchar,                -- JSON of query parameters (notices)
    window_start timestamp,                -- notice API window
    window_end timestamp,
    fetched_at timestamp not null,
    http_status integer not null,          -- 200, or 304 for a conditional GET that found no change
    content_type varchar,
    etag varchar,
    last_modified varchar,
    bytes bigint,
    sha256 varchar                         -- null for 304 / errors
);
-- warehouses created before these columns existed gain them here (every DDL file runs again when the DDL changed)
-- the request carried If-None-Match / If-Modified-Since (null: a row written before this was recorded)
alter table raw.fetch_manifest add column if not exists conditional boolean;
-- where the request ended after redirects (for a refused redirect: the hop refused)
alter table raw.fetch_manifest add column if not exists final_url varchar;

-- the parser version the last completed re-parse of stored spend files ran with (keepitlocal rebuild spend)
create table if not exists raw.spend_reparse_runs (
    parser_version varchar not null,
    finished_at timestamp not null,
    candidates integer,
    reloaded integer
);
