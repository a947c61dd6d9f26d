-- empty the flattened supplier rows before every landed page is walked again
delete from staging.notice_supplier_rows
