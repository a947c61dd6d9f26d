-- table descriptions from the generated data dictionary
select table_schema, table_name, grain, definition, source
from meta.table_dictionary
order by table_schema, table_name
