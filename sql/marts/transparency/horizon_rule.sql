-- a council's horizon in the transparency mart: the reference date, or the day the council ended if that is earlier (one definition for the mart, marts/transparency/horizon and marts/transparency/update_days_overdue)
create or replace temp macro transparency_horizon(as_of, end_date) as
    least(cast(as_of as date), coalesce(end_date, cast(as_of as date)))
