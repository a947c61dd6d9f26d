-- whether a staging table exists yet (award_suppliers arrives only once the notices part has run)
select count(*) > 0 from information_schema.tables where table_schema = $schema and table_name = $table
