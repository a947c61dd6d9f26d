-- empties core.supplier_names before the suppliers build rewrites it in the same transaction
delete from core.supplier_names
