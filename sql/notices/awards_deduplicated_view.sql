-- awards counted once: the Find a Tender copy of a cross-listed award is left out
create or replace view staging.awards_deduplicated as
select * from staging.awards where duplicate_of is null
