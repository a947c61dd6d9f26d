-- the end of the last completely fetched window of one source
select last_window_end from raw.notice_watermarks where source = $source
