-- suppliers: one row per resolved organisation, the raw-name crosswalk and per-run match coverage
create table if not exists core.suppliers (
    supplier_key varchar primary key,
    canonical_name varchar,
    org_id varchar,
    org_type varchar,                      -- company | charity | cic | public_body | individual | redacted | other | unknown
    org_type_basis varchar,                -- what decided the type: identifier, reference:<list>, register, legal_form, ..., prior
    org_type_confidence double,            -- 0..1
    size varchar,                          -- sme | large | unknown
    size_basis varchar,
    vcse boolean,
    vcse_basis varchar,
    postcode varchar,
    lad_gss varchar,
    county_gss varchar,
    region_gss varchar,
    group_key varchar,
    group_name varchar,
    is_strategic boolean,
    council_owned_by varchar
);
-- one row per (source, council_gss, raw_name, supplier_id): the fact build joins on exactly these keys
create table if not exists core.supplier_names (
    raw_name varchar,
    name_key varchar,
    source varchar,                        -- spend | contracts_finder | find_a_tender
    council_gss varchar,
    supplier_id varchar,
    supplier_key varchar,
    match_method varchar,
    match_score double,
    reviewed boolean
);
create table if not exists core.supplier_coverage (
    run_at timestamp,
    council_gss varchar,
    match_method varchar,
    distinct_names bigint,
    names_resolved_share double,           -- percent of distinct names with an org_id or a non-matchable type
    amount decimal(18,2),
    amount_resolved_share double           -- percent of amount
);
-- warehouses created before the typing cascade gain its columns
alter table core.suppliers add column if not exists org_type_basis varchar;
alter table core.suppliers add column if not exists org_type_confidence double;
