-- publications held back from the release, in the whole warehouse (held ones a later file replaced anyway are not
-- counted: they were not going to be released)
select count(*) from staging.spend_publications where held_back and superseded_by is null
