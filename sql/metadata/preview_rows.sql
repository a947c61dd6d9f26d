-- the first rows of one table, shown as an asset's preview
select * from query_table($table) limit $rows
