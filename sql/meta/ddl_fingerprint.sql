-- the fingerprint of the DDL the working file was last brought up to (none before the first apply)
select fingerprint from meta.ddl_state where id = 1
