-- casts that produced nulls stay rare: undated lines where the file had dates, and lines without an amount (percent thresholds bound as parameters)
with shares as (
    select
        100.0 * count(*) filter (where payment_date is null and coalesce(date_precision, 'day') <> 'none') / nullif(count(*), 0) as null_date_pct,
        100.0 * count(*) filter (where amount is null) / nullif(count(*), 0) as null_amount_pct
    from staging.spend_lines
    where is_current
)
select msg from (
    select 'payment_date is null on ' || round(null_date_pct, 2) || '% of current dated lines (limit ' || $max_null_date_pct || '%)' as msg
    from shares where null_date_pct > $max_null_date_pct
    union all
    select 'amount is null on ' || round(null_amount_pct, 2) || '% of current lines (limit ' || $max_null_amount_pct || '%)'
    from shares where null_amount_pct > $max_null_amount_pct
)
