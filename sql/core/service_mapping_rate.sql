-- percent of department/expense combinations, and of current payment value, mapped to a service other than 'other' by a rule
select
    round(100.0 * count(*) filter (where rule_pattern is not null) / nullif(count(*), 0), 2),
    (select round(100.0 * sum(abs(amount)) filter (where s.rule_pattern is not null) / nullif(sum(abs(amount)), 0), 2)
     from core.fact_payment as f join core.dim_service as s using (service_key))
from core.dim_service
