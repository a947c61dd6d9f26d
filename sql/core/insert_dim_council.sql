-- councils from the registry frame registered as councils_input; county_area follows the metric definitions
insert into core.dim_council by name
select
    gss as council_gss,
    name as council_name,
    type as council_type,
    region_gss,
    county_gss,
    case when type = 'district' then county_gss else gss end as county_area,
    core.body_key(name) as name_key,
    try_cast(start_date as date) as valid_from,
    try_cast(end_date as date) as valid_to
from councils_input
qualify row_number() over (partition by gss order by try_cast(start_date as date) desc nulls last) = 1
