-- the size of one table after a run (dagster/row_count)
select count(*) from query_table($table)
