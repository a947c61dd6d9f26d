-- one loaded publication's summary row: the parser's own account of the file (counted from its result before
-- anything was written), so the publication checks can compare staging and the facts with it
insert into staging.spend_publications (
    publication_id, council_gss, dataset_kind, period_key, period_start, period_end, period_source, source_url,
    link_text, landing_page, fetched_at, loaded_at, rows, net_total, min_date, max_date, encoding, sheets, grain,
    warnings, dropped_rows, rows_in, dropped_by_reason, column_mapping, amount_basis, parser_version, is_current,
    superseded_by, held_back
) values (
    $publication_id, $council_gss, $dataset_kind, $period_key, $period_start, $period_end, $period_source,
    $source_url, $link_text, $landing_page, $fetched_at, $loaded_at, $rows, $net_total, $min_date, $max_date,
    $encoding, $sheets, $grain, $warnings, $dropped_rows, $rows_in, $dropped_by_reason, $column_mapping,
    $amount_basis, $parser_version, true, null, false
)
