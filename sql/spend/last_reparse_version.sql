-- the parser version of the last completed re-parse of stored spend files (null = never)
select parser_version from raw.spend_reparse_runs order by finished_at desc limit 1
