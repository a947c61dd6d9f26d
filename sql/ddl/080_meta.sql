-- generated data dictionary of every core and marts table, filled by pipelines.marts.dictionary.build_dictionary
create table if not exists meta.table_dictionary (
    table_schema varchar not null,
    table_name varchar not null,
    grain varchar,
    definition varchar,
    source varchar
);
create table if not exists meta.column_dictionary (
    table_schema varchar not null,
    table_name varchar not null,
    column_name varchar not null,
    data_type varchar,
    description varchar
);
