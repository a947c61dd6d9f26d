-- one table as a single zstd parquet file, rows in a total order (by every column) so the bytes are reproducible
copy (
    select * from query_table($table) order by all
) to $path (format parquet, compression zstd)
