-- notices: every flattened row per raw page (append-only by page), the deduplicated staging tables, watermarks
create table if not exists raw.notice_watermarks (
    source varchar primary key,            -- contracts_finder | find_a_tender
    last_window_end timestamp not null,    -- the end of the last window fetched completely
    updated_at timestamp
);
create table if not exists staging.notice_release_rows (
    page_sha256 varchar not null, source varchar, release_id varchar, ocid varchar, date timestamp,
    tags varchar, buyer_name varchar, buyer_id varchar
);
create table if not exists staging.notice_award_rows (
    page_sha256 varchar not null, source varchar, ocid varchar, award_id varchar, release_id varchar,
    release_date timestamp, buyer_name varchar, buyer_id varchar, title varchar, description varchar,
    value_amount decimal(18, 2), currency varchar, award_date date, contract_start date, contract_end date,
    cpv_code varchar, procedure varchar, region varchar,
    value_source varchar                   -- award (its own value) | contracts (Find a Tender: summed contracts[])
);
-- warehouses created before value_source existed
alter table staging.notice_award_rows add column if not exists value_source varchar;
create table if not exists staging.notice_supplier_rows (
    page_sha256 varchar not null, source varchar, ocid varchar, award_id varchar, release_id varchar,
    release_date timestamp, supplier_party_id varchar, supplier_name varchar, org_id varchar, company_number varchar, scale varchar,
    vcse boolean, postcode varchar
);
alter table staging.notice_supplier_rows add column if not exists release_id varchar;
