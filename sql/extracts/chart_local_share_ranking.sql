-- councils ranked by local authority share in the latest financial year of the scorecard, with their peer group
select
    council_gss,
    council_name,
    coalesce(council_type, 'unknown') as council_type,
    financial_year,
    local_authority_share::double as local_authority_share,
    peer_median_local_authority_share::double as peer_median_local_authority_share
from marts.keep_it_local_scorecard
where period_grain = 'year'
    and local_authority_share is not null
    and financial_year = (
        select max(financial_year) from marts.keep_it_local_scorecard where period_grain = 'year'
    )
order by local_authority_share desc, council_name, council_gss
