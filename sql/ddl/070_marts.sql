-- marts: analyst-facing tables rebuilt whole from core by pipelines.marts.build.build_marts
create table if not exists marts.keep_it_local_scorecard (
    council_gss varchar not null,
    council_name varchar,
    council_type varchar,
    region_gss varchar,
    financial_year varchar not null,       -- 2023-24
    period_grain varchar not null,         -- year | quarter
    quarter varchar,                       -- Q1 (Apr-Jun) .. Q4, null on year rows
    total_spend decimal(18, 2),
    local_authority_share double,          -- percent of total_spend, 0-100
    local_county_share double,
    local_region_share double,
    sme_share double,
    vcse_share double,
    public_share double,
    large_private_share double,
    individual_redacted_share double,
    unresolved_share double,
    unknown_size_share double,
    unknown_location_share double,
    peer_median_local_authority_share double,
    peer_rank_local_authority bigint
);
alter table marts.keep_it_local_scorecard add column if not exists months_covered bigint;   -- months with payment lines in the period
alter table marts.keep_it_local_scorecard add column if not exists months_in_period integer; -- 12 for a year, 3 for a quarter
alter table marts.keep_it_local_scorecard add column if not exists net_basis_share double;   -- percent of total_spend published net of VAT
alter table marts.keep_it_local_scorecard add column if not exists gross_basis_share double; -- ... published gross
alter table marts.keep_it_local_scorecard add column if not exists unknown_basis_share double; -- ... basis unknown
create table if not exists marts.supplier_concentration (
    council_gss varchar not null,
    council_name varchar,
    financial_year varchar not null,
    service varchar not null,              -- 'all' for the whole council, else a taxonomy service
    entity_level varchar not null,         -- supplier (legal entity) | group (after corporate-group roll-up)
    total_spend decimal(18, 2),            -- positive net spend with external suppliers, the shares' denominator
    suppliers bigint,
    hhi double,                            -- sum of squared percent shares, 0-10000
    concentration_band varchar,            -- unconcentrated (< 1500) | moderate (1500-2500) | high (> 2500)
    top1_name varchar,
    top1_share double,
    top5_share double
);
create table if not exists marts.group_exposure (
    group_key varchar not null,
    group_name varchar,
    is_strategic boolean,
    council_gss varchar not null,
    council_name varchar,
    financial_year varchar not null,
    spend decimal(18, 2),
    share double,                          -- percent of the council's total spend that year
    services varchar,                      -- comma-separated taxonomy services
    councils_exposed bigint                -- councils with spend to the group that year
);
alter table marts.group_exposure add column if not exists council_owned boolean;  -- the group is this council's own company
create table if not exists marts.sourcing_events (
    council_gss varchar not null,
    council_name varchar,
    service varchar not null,
    event_type varchar not null,           -- outsourcing | insourcing | relet | exit | supplier_failure
    start_month date not null,             -- successor's first month; for exit and supplier_failure the first unpaid month
    from_supplier varchar,
    to_supplier varchar,
    spend_before decimal(18, 2),
    spend_after decimal(18, 2),
    confidence double,                     -- 0-1, calibrated: see pipelines.marts.events
    evidence_rows bigint,
    evidence varchar                       -- JSON list of the payment lines' lineage keys
);
-- columns added after the first release (existing warehouses gain them on the next writer connection)
alter table marts.sourcing_events add column if not exists event_id varchar;            -- md5 of council, service, type, month and groups
alter table marts.sourcing_events add column if not exists from_group_key varchar;
alter table marts.sourcing_events add column if not exists from_last_month date;
alter table marts.sourcing_events add column if not exists confirmed_through date;
alter table marts.sourcing_events add column if not exists to_group_key varchar;
alter table marts.sourcing_events add column if not exists successor_kind varchar;
alter table marts.sourcing_events add column if not exists to_first_month date;
alter table marts.sourcing_events add column if not exists months_observed_before integer;
alter table marts.sourcing_events add column if not exists months_observed_after integer;
alter table marts.sourcing_events add column if not exists from_months_paid integer;
alter table marts.sourcing_events add column if not exists to_months_paid integer;
alter table marts.sourcing_events add column if not exists failure_basis varchar;
alter table marts.sourcing_events add column if not exists councils_stopped integer;
create table if not exists marts.contract_pipeline (
    council_gss varchar not null,
    council_name varchar,
    buyer_name varchar,
    award_uid varchar not null,
    title varchar,
    supplier_name varchar,
    supplier_key varchar,
    group_name varchar,
    value_share decimal(18, 2),
    award_date date,
    contract_start date,
    contract_end date,
    end_financial_year varchar,
    months_to_end integer,                 -- whole months from as_of to contract_end (negative = ended)
    status varchar,                        -- ended | ending_12_months | later
    paid_in_contract_period decimal(18, 2) -- council payments to the supplier between contract start and end
);
alter table marts.contract_pipeline add column if not exists supplier_last_paid_month date;  -- last month this council paid the supplier's group
alter table marts.contract_pipeline add column if not exists supplier_flag varchar;  -- supplier_failed | stopped_being_paid | null
alter table marts.contract_pipeline add column if not exists supplier_flag_month date;  -- the event's start_month
create table if not exists marts.payment_contract_links (
    council_gss varchar not null,
    council_name varchar,
    financial_year varchar not null,
    total_spend decimal(18, 2),
    contracted_spend decimal(18, 2),       -- payments to a supplier with an award from this council covering the date
    off_contract_spend decimal(18, 2),
    contracted_share double,
    payment_lines bigint,
    contracted_lines bigint,
    awards_matched bigint,
    suppliers_matched bigint
);
create table if not exists marts.transparency_compliance (
    council_gss varchar not null,
    council_name varchar,
    month_start date not null,
    financial_year varchar,
    published boolean,
    publications bigint,
    lines bigint,
    spend decimal(18, 2),
    first_fetched_at timestamp,
    lateness_days integer,                 -- published_at minus the end of the period the file covers
    mandatory_fields_share double,         -- percent of lines with date, transaction id, amount, payee, category, service
    purpose_present_share double,
    vat_present_share double,
    redacted_lines_share double,
    redacted_spend_share double,
    credit_notes bigint,
    duplicate_rows bigint                  -- current lines repeating an earlier current line's fingerprint
);
alter table marts.transparency_compliance add column if not exists status varchar;             -- published | missing | missing_trailing (after the last published month, already due)
alter table marts.transparency_compliance add column if not exists cadence varchar;            -- registry: monthly | quarterly | annual | unknown
alter table marts.transparency_compliance add column if not exists threshold varchar;          -- registry: the council's publication threshold
alter table marts.transparency_compliance add column if not exists period_key varchar;         -- the first-published file covering the month
alter table marts.transparency_compliance add column if not exists period_end date;            -- ... and the end of the period it covers
alter table marts.transparency_compliance add column if not exists published_at timestamp;     -- when that file was published
alter table marts.transparency_compliance add column if not exists published_at_basis varchar; -- last_modified | first_fetch
alter table marts.transparency_compliance add column if not exists due_date date;              -- Code deadline by cadence
alter table marts.transparency_compliance add column if not exists published_late boolean;     -- published after due_date
alter table marts.transparency_compliance add column if not exists days_overdue integer;       -- missing months: days past due_date at as_of
