-- the transparency mart on a new reference date when its inputs and its months are those it was built from (marts/transparency/as_of_key: same trailing months due): only days_overdue moves, by the mart's rule (marts/transparency/days_overdue)
update marts.transparency_compliance as m
set days_overdue = transparency_days_overdue(m.lines, m.due_date, h.horizon)
from mart_transparency_horizon as h
where h.council_gss = m.council_gss
