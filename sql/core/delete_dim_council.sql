-- empty core.dim_council before it is rebuilt from its sources
delete from core.dim_council
