-- empties reference.companies before its register is reloaded in the same transaction
delete from reference.companies
