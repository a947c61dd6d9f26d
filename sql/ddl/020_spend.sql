-- council spend staging: payment lines per publication, one row per parsed file, and files set aside
create table if not exists staging.spend_lines (
    council_gss varchar not null,
    publication_id varchar not null,       -- sha256 of the raw file
    period_key varchar,                    -- see pipelines/spend/periods.py (YYYY-MM, FYYYYY-YY, ...; legacy keys still read)
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
    row_fingerprint varchar,               -- informative only: identical lines are distinct payments
    is_current boolean default true,       -- in the release: its publication is current and no later publication
                                           -- covers this line's date (a month republished after a year file)
    amount_basis varchar                   -- net | gross | unknown: what `amount` is, as the parser read it
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
    dropped_rows bigint,                   -- records the parser read but did not output (sum of dropped_by_reason)
    is_current boolean not null default true,
    superseded_by varchar,
    rows_in bigint,                        -- every record the parser read; rows_in = rows + dropped_rows (null: not reported)
    dropped_by_reason varchar,             -- JSON {reason: count} (preamble, header, blank, total, ...)
    column_mapping varchar,                -- JSON {canonical field: {header, basis, score}} as the parser mapped it
    amount_basis varchar,                  -- net | gross | unknown for the file
    parser_version varchar,
    held_back boolean not null default false  -- a blocking check failed on it: out of the release (meta.publication_holds says why)
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
-- warehouses created before these columns existed gain them here (every DDL file runs again when the DDL changed)
alter table staging.spend_lines add column if not exists amount_basis varchar;
alter table staging.spend_publications add column if not exists rows_in bigint;
alter table staging.spend_publications add column if not exists dropped_by_reason varchar;
alter table staging.spend_publications add column if not exists column_mapping varchar;
alter table staging.spend_publications add column if not exists amount_basis varchar;
alter table staging.spend_publications add column if not exists parser_version varchar;
alter table staging.spend_publications add column if not exists held_back boolean default false;
