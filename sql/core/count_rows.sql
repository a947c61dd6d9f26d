-- row count of one core or marts table, reported by the builds
select count(*) from query_table($table)
