-- empty core.dim_service before it is rebuilt from its sources
delete from core.dim_service
