-- core star schema: payment and award facts with lineage, and the council, date, service and supplier dimensions
create macro if not exists core.body_key(body_name) as trim(regexp_replace(regexp_replace(
    lower(replace(body_name, '&', ' and ')),
    '\b(the|council|borough|county|city|metropolitan|district|of|royal|london)\b', ' ', 'g'),
    '[^a-z0-9]+', ' ', 'g'));
create table if not exists core.dim_council (
    council_gss varchar primary key,
    council_name varchar not null,
    council_type varchar,                  -- county | district | unitary | metropolitan | london_borough | ...
    region_gss varchar,
    county_gss varchar,                    -- the county of a district, else null
    county_area varchar,                   -- a district's county GSS; for every other type its own GSS
    name_key varchar,                      -- core.body_key(council_name): matches notice buyers to councils
    valid_from date,
    valid_to date
);
create table if not exists core.dim_date (
    date_key integer primary key,          -- yyyymmdd
    date date not null,
    year integer,
    month integer,
    month_start date,
    month_name varchar,
    calendar_quarter varchar,              -- Q1 = Jan-Mar
    financial_year varchar,                -- UK financial year 1 April - 31 March, e.g. 2023-24
    fiscal_quarter varchar,                -- Q1 = Apr-Jun
    fiscal_month integer,                  -- 1 = April
    day_of_week integer,                   -- ISO: 1 = Monday
    is_weekend boolean
);
create table if not exists core.dim_service (
    service_key varchar primary key,       -- md5 of department | service_area | expense_type as published
    department varchar,
    service_area varchar,
    expense_type varchar,
    service varchar not null,              -- taxonomy key (pipelines/marts/service_taxonomy.csv)
    rule_pattern varchar,                  -- the rule that mapped it; null when nothing matched (service = other)
    rule_priority integer
);
create table if not exists core.dim_supplier (
    supplier_key varchar primary key,
    canonical_name varchar,
    org_id varchar,
    org_type varchar,
    size varchar,
    vcse boolean,
    postcode varchar,
    lad_gss varchar,
    county_gss varchar,
    county_area varchar,                   -- county GSS if two-tier, else the LAD
    region_gss varchar,
    group_key varchar,                     -- the supplier itself when it belongs to no group
    group_name varchar,
    is_strategic boolean,
    council_owned_by varchar,
    is_external boolean                    -- not a public body, individual or redacted payee
);
create table if not exists core.fact_payment (
    payment_key varchar not null,          -- md5 of council_gss, source_sha256, sheet, row_number (the lineage); uniqueness is a blocking check, not an index that slows the rebuild
    council_gss varchar not null,
    publication_id varchar not null,
    period_key varchar,
    payment_date date,
    date_precision varchar,
    accounting_date date,                  -- payment_date, else the publication's period start
    date_key integer,
    month_start date,
    financial_year varchar,
    fiscal_quarter varchar,
    amount decimal(18, 2),
    amount_basis varchar,                  -- net | gross | unknown (the parser's reading of the amount column)
    irrecoverable_vat decimal(18, 2),
    supplier_name varchar,
    supplier_id varchar,
    supplier_key varchar,
    service_key varchar,
    service varchar,
    department varchar,
    service_area varchar,
    expense_type varchar,
    purpose varchar,
    capital_revenue varchar,
    is_card boolean,
    redaction_kind varchar,
    transaction_id varchar,
    line_no varchar,
    invoice_number varchar,
    row_fingerprint varchar,               -- informative only: identical lines are distinct payments
    source_url varchar,
    source_sha256 varchar,
    sheet varchar,
    row_number integer,
    parser_version varchar,
    fetched_at timestamp
);
create table if not exists core.fact_award (
    award_uid varchar not null,            -- source:ocid:award_id
    canonical_award_uid varchar not null,  -- the duplicate_of award when both services carry it, else award_uid
    counts_once boolean not null,          -- true on exactly one row per award and supplier across the services
    source varchar,
    ocid varchar,
    award_id varchar,
    buyer_name varchar,
    buyer_council_gss varchar,             -- council whose body_key equals the buyer's, when exactly one does
    title varchar,
    value_amount decimal(18, 2),
    currency varchar,
    supplier_count integer,
    value_share decimal(18, 2),            -- value_amount split evenly over the award's suppliers
    award_date date,
    contract_start date,
    contract_end date,
    cpv_code varchar,
    procedure varchar,
    supplier_party_id varchar,
    supplier_name varchar,
    supplier_key varchar,
    scale varchar,
    vcse boolean
);
alter table core.fact_payment add column if not exists amount_basis varchar;
