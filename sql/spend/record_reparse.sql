-- record a completed re-parse of stored spend files
insert into raw.spend_reparse_runs (parser_version, finished_at, candidates, reloaded)
values ($parser_version, $finished_at, $candidates, $reloaded)
