-- every table and view of the open database, to find the marts and the facts to extract
select table_schema, table_name, table_type
from information_schema.tables
where table_catalog = current_database()
order by table_schema, table_name
