-- off-contract spend: payments to suppliers with no award from the council covering the payment date, by council and financial year
select council_name, financial_year, total_spend, contracted_spend, off_contract_spend, contracted_share, awards_matched
from marts.payment_contract_links
order by off_contract_spend desc
