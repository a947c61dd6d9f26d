-- publications of the councils being built (build_councils) held back from the release (held ones a later file
-- replaced anyway are not counted: they were not going to be released)
select count(*) from staging.spend_publications
where held_back and superseded_by is null and council_gss in (select council_gss from build_councils)
