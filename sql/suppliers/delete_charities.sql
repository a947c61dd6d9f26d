-- empties reference.charities before its register is reloaded in the same transaction
delete from reference.charities
