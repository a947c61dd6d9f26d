-- payment facts that carry financial_year, sorted into a temporary table with their partition key (financial year, council)
create or replace temp table extract_stage as
select * replace (coalesce(financial_year::varchar, 'unknown') as financial_year),
    to_json([coalesce(financial_year::varchar, 'unknown'), council_gss])::varchar as extract_partition
from query_table($table)
order by extract_partition, columns(lambda c: c = $date_column), columns(*)
