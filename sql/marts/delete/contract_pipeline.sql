-- empty marts.contract_pipeline before it is rebuilt
delete from marts.contract_pipeline
