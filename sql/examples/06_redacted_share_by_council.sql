-- redacted share of published lines and of spend by council over all published months
select
    council_name,
    sum(lines) as lines,
    round(sum(redacted_lines_share * lines) / nullif(sum(lines), 0), 2) as redacted_lines_share,
    round(avg(redacted_spend_share), 2) as mean_monthly_redacted_spend_share
from marts.transparency_compliance
where published
group by council_name
order by redacted_lines_share desc
