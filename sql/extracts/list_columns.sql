-- the columns of every table and view in order, with their duckdb types (the extract schemas)
select table_schema, table_name, column_name, data_type
from information_schema.columns
where table_catalog = current_database()
order by table_schema, table_name, ordinal_position
