-- loads reference.public_bodies from the register frame the loader registered as register_frame
insert into reference.public_bodies by name select * from register_frame
