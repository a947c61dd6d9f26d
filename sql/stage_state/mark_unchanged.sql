-- a run found the stage's inputs unchanged: its build stays, the check time advances
update meta.stage_builds set status = 'unchanged', run_id = $run_id, checked_at = $checked_at where stage = $stage
