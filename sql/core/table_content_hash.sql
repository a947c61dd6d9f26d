-- an order-independent content hash of one table: its row count and the sum of its rows' hashes
select count(*) || ':' || coalesce(cast(sum(hash(*columns(*))) as varchar), '0') from query_table($table)
