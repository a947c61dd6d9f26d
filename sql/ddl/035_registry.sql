-- registry: candidate landing pages found by deep discovery (pipelines.spend.discover.deep_discover), for review;
-- never copied into the registry automatically. The latest discovery of each council replaces its earlier rows.
create table if not exists reference.discovery_candidates (
    council_gss varchar not null,
    page_url varchar not null,
    depth integer,            -- clicks from the council's home page
    trail varchar,            -- |-separated pages from the home page to this one
    files integer,            -- spend files listed on the page
    sample_link varchar,
    score double,
    discovered_at timestamp
);
