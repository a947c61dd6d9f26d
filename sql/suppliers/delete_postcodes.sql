-- empties reference.postcodes before its register is reloaded in the same transaction
delete from reference.postcodes
