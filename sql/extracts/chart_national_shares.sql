-- national trend of local, sme, vcse and large private shares by financial year, weighted by each council's spend
select
    financial_year,
    (sum(local_authority_share * total_spend) / nullif(sum(total_spend), 0))::double as local_share,
    (sum(sme_share * total_spend) / nullif(sum(total_spend), 0))::double as sme_share,
    (sum(vcse_share * total_spend) / nullif(sum(total_spend), 0))::double as vcse_share,
    (sum(large_private_share * total_spend) / nullif(sum(total_spend), 0))::double as large_private_share,
    count(distinct council_gss) as councils
from marts.keep_it_local_scorecard
where period_grain = 'year' and total_spend > 0
group by financial_year
order by financial_year
