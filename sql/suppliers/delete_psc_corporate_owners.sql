-- empties reference.psc_corporate_owners before its register is reloaded in the same transaction
delete from reference.psc_corporate_owners
