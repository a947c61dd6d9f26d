-- every record the parser read is either a line it output or a drop it counted by reason: rows_in = rows + dropped
-- (publications of the councils in check_councils; held-back ones only when $include_held; parsers that do not
-- report rows_in are not judged)
select
    p.council_gss,
    p.publication_id,
    p.period_key || ' ' || coalesce(p.source_url, p.publication_id) || ': the parser read ' || p.rows_in
        || ' records but output ' || p.rows || ' lines and dropped ' || coalesce(p.dropped_rows, 0)
        || ' (' || coalesce(p.dropped_by_reason, '{}') || '): ' || (p.rows_in - p.rows - coalesce(p.dropped_rows, 0))
        || ' unaccounted for' as message
from staging.spend_publications as p
where p.council_gss in (select council_gss from check_councils)
    and ($include_held or not p.held_back)
    and p.rows_in is not null
    and p.rows_in <> p.rows + coalesce(p.dropped_rows, 0)
order by p.council_gss, p.publication_id
