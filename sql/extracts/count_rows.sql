-- row count of one table, to tell an empty fact (which a partitioned copy would write no file for)
select count(*) from query_table($table)
