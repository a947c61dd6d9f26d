-- move a source's watermark forward (never backwards: a backfill of old days leaves it alone)
insert into raw.notice_watermarks (source, last_window_end, updated_at)
values ($source, $window_end, $updated_at)
on conflict (source) do update set
    last_window_end = greatest(raw.notice_watermarks.last_window_end, excluded.last_window_end),
    updated_at = excluded.updated_at
