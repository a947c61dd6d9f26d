-- forget one publication's summary row before (re)loading it
delete from staging.spend_publications where council_gss = $council_gss and publication_id = $publication_id
