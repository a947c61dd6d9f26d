-- the column dictionary in each table's column order
select d.table_schema, d.table_name, d.column_name, d.data_type, d.description
from meta.column_dictionary as d
left join information_schema.columns as c
    on c.table_schema = d.table_schema and c.table_name = d.table_name and c.column_name = d.column_name
    and c.table_catalog = current_database()
order by d.table_schema, d.table_name, c.ordinal_position
