-- record this run's per-council stage report
insert into meta.stage_report by name select $run_id as run_id, * from report_df
