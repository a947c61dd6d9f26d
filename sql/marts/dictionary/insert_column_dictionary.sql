-- one row per column of every core and marts table, its type from the catalogue and its description from dictionary_columns.csv
insert into meta.column_dictionary by name
select c.table_schema, c.table_name, c.column_name, c.data_type, d.description
from information_schema.columns as c
left join read_csv($columns_csv, header = true, all_varchar = true) as d
    on d.table_schema = c.table_schema and d.table_name = c.table_name and d.column_name = c.column_name
where c.table_schema in ('core', 'marts') and c.table_catalog = current_database()
