-- empty marts.supplier_concentration before it is rebuilt
delete from marts.supplier_concentration
