-- every DDL file ran: record which DDL the working file now matches
insert or replace into meta.ddl_state (id, fingerprint, applied_at) values (1, $fingerprint, now())
