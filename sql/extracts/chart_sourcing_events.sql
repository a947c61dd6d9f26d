-- detected outsourcing, insourcing and relet events, one timeline row per council
select
    council_gss,
    coalesce(council_name, council_gss) as council_name,
    service,
    event_type,
    start_month,
    from_supplier,
    to_supplier,
    confidence::double as confidence
from marts.sourcing_events
where start_month is not null
order by council_name, council_gss, start_month, event_type, service
