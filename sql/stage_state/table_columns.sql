-- the columns of one table, in order, with their types (none when the table does not exist)
select column_name, data_type from information_schema.columns
where table_schema = $schema and table_name = $table
order by ordinal_position
