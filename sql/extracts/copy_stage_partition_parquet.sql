-- one partition of the staged fact as a zstd parquet file in sorted order; the partition columns stay in the file (self-describing), only the staging key is dropped
copy (
    select columns(lambda c: not list_contains($drop_columns, c))
    from extract_stage
    where extract_partition = $partition
) to $path (format parquet, compression zstd)
