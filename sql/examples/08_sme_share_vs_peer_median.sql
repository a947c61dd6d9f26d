-- each council's SME share against the median of councils of the same type in the same financial year
select
    council_name,
    council_type,
    financial_year,
    sme_share,
    median(sme_share) over peers as peer_median_sme_share,
    round(sme_share - median(sme_share) over peers, 2) as difference_pp,
    count(*) over peers as peer_councils
from marts.keep_it_local_scorecard
where period_grain = 'year'
window peers as (partition by council_type, financial_year)
order by financial_year, council_type, difference_pp desc
