-- summarise one loaded publication from its own lines
insert into staging.spend_publications (
    publication_id, council_gss, dataset_kind, period_key, period_start, period_end, period_source, source_url,
    link_text, landing_page, fetched_at, loaded_at, rows, net_total, min_date, max_date, encoding, sheets, grain,
    warnings, dropped_rows, is_current, superseded_by
)
select
    $publication_id, $council_gss, $dataset_kind, $period_key, $period_start, $period_end, $period_source,
    $source_url, $link_text, $landing_page, $fetched_at, $loaded_at, count(l.publication_id),
    coalesce(sum(l.amount), 0)::decimal(18, 2), min(l.payment_date), max(l.payment_date), $encoding, $sheets,
    $grain, $warnings, $dropped_rows, true, null
from (
    select * from staging.spend_lines where council_gss = $council_gss and publication_id = $publication_id
) as l
