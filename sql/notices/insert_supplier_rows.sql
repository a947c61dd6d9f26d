-- append the flattened supplier rows of newly landed pages
insert into staging.notice_supplier_rows by name select * from supplier_rows_df
