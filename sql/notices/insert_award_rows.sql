-- append the flattened award rows of newly landed pages
insert into staging.notice_award_rows by name select * from award_rows_df
