-- empty core.dim_supplier before it is rebuilt from its sources
delete from core.dim_supplier
