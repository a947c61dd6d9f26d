-- empty marts.sourcing_events before it is rebuilt
delete from marts.sourcing_events
