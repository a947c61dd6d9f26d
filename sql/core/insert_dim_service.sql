-- every published department / service area / expense type combination, mapped to the service taxonomy by the highest-priority matching rule
insert into core.dim_service by name
with combos as (
    select distinct department, service_area, expense_type
    from staging.spend_lines
),
rules as (
    select pattern, service, cast(priority as integer) as priority
    from read_csv($taxonomy_path, header = true, all_varchar = true)
),
matched as (
    select
        c.department,
        c.service_area,
        c.expense_type,
        r.service,
        r.pattern,
        r.priority
    from combos as c
    left join rules as r
        on regexp_matches(concat_ws(' | ', c.department, c.service_area, c.expense_type), r.pattern, 'i')
    qualify row_number() over (
        partition by c.department, c.service_area, c.expense_type order by r.priority nulls last, r.pattern
    ) = 1
)
select
    md5(concat_ws('|', coalesce(department, ''), coalesce(service_area, ''), coalesce(expense_type, ''))) as service_key,
    department,
    service_area,
    expense_type,
    coalesce(service, 'other') as service,
    pattern as rule_pattern,
    priority as rule_priority
from matched
