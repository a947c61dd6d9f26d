-- insourcing events in waste services: who stopped, who took over (null = in-house), when, and how strong the evidence is
select council_name, start_month, from_supplier, to_supplier, spend_before, spend_after, confidence, evidence_rows
from marts.sourcing_events
where event_type = 'insourcing' and service = 'waste'
order by start_month, council_name
