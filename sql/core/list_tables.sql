-- the base tables of the given schemas, in name order
select table_schema, table_name from information_schema.tables
where table_type = 'BASE TABLE' and list_contains($schemas, table_schema)
order by table_schema, table_name
