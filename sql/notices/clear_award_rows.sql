-- empty the flattened award rows before every landed page is walked again
delete from staging.notice_award_rows
