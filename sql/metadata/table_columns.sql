-- the columns of one table in order, with their duckdb types and nullability (an asset's column schema)
select column_name, data_type, is_nullable
from information_schema.columns
where table_catalog = current_database() and table_schema = $schema and table_name = $table
order by ordinal_position
