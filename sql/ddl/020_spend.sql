-- council spend staging: payment lines per publication, one row per parsed file, and files set aside
create table if not exists staging.spend_lines (
    council_gss varchar not null,
    publication_id varchar not null,       -- sha256 of the raw file
    period_key varchar,                    -- YYYY-MM, YYYY-Qn (financial-year quarter), YYYY-YY, YYYY-YY-Pnn
    sheet varchar,
    row_number integer,                    -- 1-based line/row in the source sheet
    payment_date date,
    date_precision varchar,                -- day | month | quarter | none
    body_name varchar,
    body_code varchar,
    transaction_id varchar,
    line_no varchar,
    invoice_number varchar,
    amount decimal(18, 2),                 -- net
    irrecoverable_vat decimal(18, 2),
    supplier_name varchar,
    supplier_id varchar,
    supplier_vat_reg varchar,
    supplier_company_no varchar,
    supplier_charity_no varchar,
    creditor_type varchar,
    department varchar,
    service_area varchar,
    expense_type varchar,
    expense_code varchar,
    purpose varchar,
    capital_revenue varchar,
    is_card boolean,
    redaction_kind varchar,
    below_threshold boolean,
    row_flags varchar,
    other_attributes varchar,              -- JSON of unmapped cells
    source_url varchar,
    source_sha256 varchar,
    parser_version varchar,
    row_fingerprint varchar,
    is_current boolean default true        -- copy of the publication's is_current, for simple filtering
);
create table if not exists staging.spend_publications (
    publication_id varchar not null,
    council_gss varchar not null,
    dataset_kind varchar not null,         -- spend | pcard: supersession compares periods within one kind
    period_key varchar not null,
    period_start date not null,
    period_end date not null,
    period_source varchar,                 -- link (text / file name / URL) | payment_dates
    source_url varchar,
    link_text varchar,
    landing_page varchar,
    fetched_at timestamp not null,
    loaded_at timestamp not null,
    rows bigint,
    net_total decimal(18, 2),
    min_date date,
    max_date date,
    encoding varchar,
    sheets varchar,
    grain varchar,
    warnings varchar,                      -- JSON list from the parser
    dropped_rows bigint,
    is_current boolean not null default true,
    superseded_by varchar
);
create table if not exists staging.quarantine (
    council_gss varchar,
    source_url varchar,
    source_sha256 varchar,
    reason_code varchar not null,
    reason varchar,
    link_text varchar,
    period_label varchar,
    quarantined_at timestamp not null
);
