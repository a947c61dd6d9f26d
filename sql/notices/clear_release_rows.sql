-- empty the flattened release rows before every landed page is walked again
delete from staging.notice_release_rows
