-- loads reference.postcodes from the register frame the loader registered as register_frame
insert into reference.postcodes by name select * from register_frame
