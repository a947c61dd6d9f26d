-- forget this run's stage report rows for the councils being re-reported (re-runs replace, never duplicate)
delete from meta.stage_report where run_id = $run_id and council_gss in (select council_gss from report_df)
