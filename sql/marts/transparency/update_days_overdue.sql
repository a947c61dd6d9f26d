-- the transparency mart on a new reference date when its inputs and its months are those it was built from (marts/transparency/as_of_key: same trailing months due): only days_overdue moves, computed as marts/transparency_compliance computes it (an unpublished month already due at the council's horizon: days from its due date to the horizon)
update marts.transparency_compliance as m
set days_overdue = case when m.lines = 0 and m.due_date <= h.horizon
    then cast(datediff('day', m.due_date, h.horizon) as integer) end
from mart_transparency_horizon as h
where h.council_gss = m.council_gss
