-- earliest and latest plausible award dates, so the date dimension covers every contract period (typos like 2924 are ignored)
select
    least(
        min(award_date) filter (where award_date >= date '1990-01-01'),
        min(contract_start) filter (where contract_start >= date '1990-01-01')
    ),
    greatest(
        max(contract_end) filter (where contract_end < date '2100-01-01'),
        max(contract_start) filter (where contract_start < date '2100-01-01')
    )
from staging.awards
