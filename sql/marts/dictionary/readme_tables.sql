-- the table dictionary in README order: marts first, then core
select table_schema, table_name, grain, definition, source
from meta.table_dictionary
order by table_schema = 'core', table_schema, table_name
