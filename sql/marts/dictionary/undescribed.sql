-- core and marts tables and columns the committed dictionary does not describe (a table comes back with an empty column name)
select t.table_schema, t.table_name, '' as column_name
from information_schema.tables as t
anti join read_csv($tables_csv, header = true, all_varchar = true) as d
    on d.table_schema = t.table_schema and d.table_name = t.table_name
    and coalesce(d.grain, '') <> '' and coalesce(d.definition, '') <> ''
where t.table_schema in ('core', 'marts') and t.table_catalog = current_database()
union all
select c.table_schema, c.table_name, c.column_name
from information_schema.columns as c
anti join read_csv($columns_csv, header = true, all_varchar = true) as d
    on d.table_schema = c.table_schema and d.table_name = c.table_name and d.column_name = c.column_name
    and coalesce(d.description, '') <> ''
where c.table_schema in ('core', 'marts') and c.table_catalog = current_database()
order by 1, 2, 3
