-- reference registers: companies, charities, postcodes, public bodies and corporate owners (replaced whole by their loaders)
create table if not exists reference.companies (
    company_number varchar primary key,    -- 8 chars, zero-padded, prefix kept (SC, NI, OC, CE ...)
    name varchar not null,
    name_key varchar,                      -- pipelines.suppliers.normalise.name_key(name)
    previous_names varchar[],
    previous_name_keys varchar[],
    status varchar,
    category varchar,                      -- CompanyCategory as published
    postcode varchar,                      -- normalised "AB1 2CD"
    accounts_category varchar,             -- Accounts.AccountCategory as published (upper-case)
    sic_codes varchar[]                    -- 5-digit SIC 2007 codes (4-digit SIC 2003 on very old records)
);
create table if not exists reference.charities (
    charity_number varchar not null,       -- England and Wales: digits; Northern Ireland: NIC<digits>
    name varchar not null,
    name_key varchar,
    company_number varchar,                -- 8 chars when the charity is also a company, else null
    postcode varchar,
    income decimal(18,2),
    register varchar                       -- ccew | ccni
);
create table if not exists reference.postcodes (
    postcode varchar primary key,          -- "AB1 2CD"
    lad_gss varchar,
    county_gss varchar,                    -- E10 county for two-tier areas, else null
    region_gss varchar,                    -- E12 region in England, else null
    country_gss varchar,
    terminated varchar                     -- YYYYMM, null = live
);
create table if not exists reference.public_bodies (
    org_id varchar not null,               -- GB-LAE-<code> for councils, GB-COH-<n> for academy trusts
    name varchar not null,
    name_key varchar,
    kind varchar not null,                 -- local_authority | academy_trust | ...
    gss varchar                            -- GSS code of a council, else null
);
create table if not exists reference.psc_corporate_owners (
    company_number varchar not null,       -- the owned company
    owner_name varchar,
    owner_company_number varchar,          -- 8 chars for a UK-registered owner, else null
    owner_kind varchar,                    -- corporate | legal_person
    controls varchar                       -- natures_of_control joined by ','
);
create table if not exists reference.organisations (
    ref_id varchar not null,               -- org-id where the list gives one (GB-GOR-D25, GB-NHS-RA7, GB-EDU-100000), else source:code
    org_id varchar,                        -- the org-id, null for list-scoped codes
    canonical varchar,                     -- the organisation's name as the list writes it
    name varchar not null,                 -- one name to match: canonical, abbreviation or a name built from an area
    org_type varchar not null,             -- public_body | charity | company | unknown (the list knows the body, not its type)
    kind varchar,                          -- central_government | nhs | university | school | police | fire | parish | housing_provider | charity ...
    source varchar not null,               -- the list (pipelines.reference.sources); a refresh replaces its rows
    active boolean
);
