-- how many days a month is overdue in the transparency mart: an unpublished month (no lines) already due at the council's horizon counts the days from its due date to the horizon (one definition for the mart and marts/transparency/update_days_overdue)
create or replace temp macro transparency_days_overdue(lines, due_date, horizon) as
    case when lines = 0 and due_date <= horizon then cast(datediff('day', due_date, horizon) as integer) end
