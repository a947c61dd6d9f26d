-- contract award facts sorted by award date into a temporary table with their partition key (calendar year of the award); the year is a 32-bit integer, the type pyarrow infers for a numeric hive folder name
create or replace temp table extract_stage as
select *, year(columns(lambda c: c = $date_column))::integer as award_year,
    to_json([year(columns(lambda c: c = $date_column))::varchar])::varchar as extract_partition
from query_table($table)
order by extract_partition, columns(lambda c: c = $date_column), columns(*)
