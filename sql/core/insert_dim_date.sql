-- one row per day covering every payment and award date, never narrower than April 2015 to March 2031
insert into core.dim_date by name
with bounds as (
    select
        least(date '2015-04-01', (select min(payment_date) from staging.spend_lines), $award_min_date) as first_day,
        greatest(date '2031-03-31', (select max(payment_date) from staging.spend_lines), $award_max_date) as last_day
),
days as (
    select cast(d as date) as date
    from bounds, generate_series(cast(first_day as timestamp), cast(last_day as timestamp), interval 1 day) as g(d)
)
select
    cast(strftime(date, '%Y%m%d') as integer) as date_key,
    date,
    year(date) as year,
    month(date) as month,
    cast(date_trunc('month', date) as date) as month_start,
    strftime(date, '%B') as month_name,
    'Q' || quarter(date) as calendar_quarter,
    case when month(date) >= 4
        then year(date) || '-' || lpad(cast((year(date) + 1) % 100 as varchar), 2, '0')
        else (year(date) - 1) || '-' || lpad(cast(year(date) % 100 as varchar), 2, '0')
    end as financial_year,
    'Q' || (((month(date) + 8) % 12) // 3 + 1) as fiscal_quarter,
    (month(date) + 8) % 12 + 1 as fiscal_month,
    isodow(date) as day_of_week,
    isodow(date) >= 6 as is_weekend
from days
