-- insert one publication's parsed lines (columns matched by name; lines_df is registered by the loader)
insert into staging.spend_lines by name select * from lines_df
