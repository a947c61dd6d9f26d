-- loads reference.charities from the register frame the loader registered as register_frame
insert into reference.charities by name select * from register_frame
