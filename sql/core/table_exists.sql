-- number of tables with this schema and name (staging.awards arrives only once the notices part has run)
select count(*) from information_schema.tables where table_schema = $schema and table_name = $table
