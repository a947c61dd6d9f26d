-- empties core.suppliers before the suppliers build rewrites it in the same transaction
delete from core.suppliers
