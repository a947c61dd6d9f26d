-- one row per core and marts table present in the warehouse, described from the committed dictionary_tables.csv
insert into meta.table_dictionary by name
select t.table_schema, t.table_name, d.grain, d.definition, d.source
from information_schema.tables as t
left join read_csv($tables_csv, header = true, all_varchar = true) as d
    on d.table_schema = t.table_schema and d.table_name = t.table_name
where t.table_schema in ('core', 'marts') and t.table_catalog = current_database()
