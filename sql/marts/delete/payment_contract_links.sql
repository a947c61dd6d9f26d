-- empty marts.payment_contract_links before it is rebuilt
delete from marts.payment_contract_links
