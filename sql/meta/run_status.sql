-- the status one run recorded so far (none until it published or was blocked)
select status from meta.runs where run_id = $run_id
