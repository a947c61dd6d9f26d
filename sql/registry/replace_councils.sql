-- replace the council registry snapshot with the registry file as read this run
create or replace table reference.councils as select * from councils_df
