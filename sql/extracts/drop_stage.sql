-- release the temporary staging table of a partitioned fact
drop table if exists extract_stage
