-- empties reference.public_bodies before its register is reloaded in the same transaction
delete from reference.public_bodies
