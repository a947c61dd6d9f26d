-- empty core.dim_date before it is rebuilt from its sources
delete from core.dim_date
