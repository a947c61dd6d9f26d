-- one partition of the staged fact as a zstd parquet file in sorted order, without the partition columns (they are in the hive path)
copy (
    select columns(lambda c: not list_contains($drop_columns, c))
    from extract_stage
    where extract_partition = $partition
) to $path (format parquet, compression zstd)
