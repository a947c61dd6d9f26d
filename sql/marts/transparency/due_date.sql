-- the day a council month's spending is due in the transparency mart, by the council's cadence, then a month's grace: a monthly publisher owes each month a month after it ends; quarterly, unknown and annual publishers owe each Code quarter a month after the quarter (one definition for the mart and for marts/transparency/as_of_key)
create or replace temp macro transparency_due_date(month_start, cadence) as
    cast(case cadence
        when 'monthly' then month_start + interval 2 month - interval 1 day
        else date_trunc('quarter', month_start) + interval 4 month - interval 1 day
    end as date)
