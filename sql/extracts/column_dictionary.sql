-- column descriptions from the generated data dictionary
select table_schema, table_name, column_name, description
from meta.column_dictionary
order by table_schema, table_name, column_name
