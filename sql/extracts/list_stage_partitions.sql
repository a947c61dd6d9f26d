-- the partitions of the staged fact: key, partition values (in partition column order, as json) and rows
select extract_partition, count(*) as row_count
from extract_stage
group by extract_partition
order by extract_partition
