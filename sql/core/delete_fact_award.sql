-- empty core.fact_award before it is rebuilt from its sources
delete from core.fact_award
