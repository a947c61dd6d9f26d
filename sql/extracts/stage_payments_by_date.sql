-- payment facts sorted into a temporary table with their uk financial year (starts 1 april: the year of the date less three months) and partition key
create or replace temp table extract_stage as
select *, to_json([financial_year, council_gss])::varchar as extract_partition
from (
    select * exclude (fy_start_year),
        coalesce(fy_start_year::varchar || '-' || lpad(((fy_start_year + 1) % 100)::varchar, 2, '0'), 'unknown') as financial_year
    from (
        select *, year(columns(lambda c: c = $date_column) - interval 3 month) as fy_start_year
        from query_table($table)
    )
)
order by extract_partition, columns(lambda c: c = $date_column), columns(*)
