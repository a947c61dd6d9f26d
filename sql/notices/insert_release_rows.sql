-- append the flattened release rows of newly landed pages
insert into staging.notice_release_rows by name select * from release_rows_df
