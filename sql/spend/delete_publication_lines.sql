-- forget one publication's lines before (re)loading it, so a re-load replaces rather than duplicates
delete from staging.spend_lines where council_gss = $council_gss and publication_id = $publication_id
