-- empties one list's rows of reference.organisations before its refreshed copy is loaded in the same transaction
delete from reference.organisations where source in (select distinct source from register_frame)
