-- row count of each written parquet file, from the parquet footers
select file_name, num_rows
from parquet_file_metadata($files)
order by file_name
