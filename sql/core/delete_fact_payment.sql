-- empty core.fact_payment before it is rebuilt from its sources
delete from core.fact_payment
