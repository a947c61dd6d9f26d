-- loads reference.psc_corporate_owners from the register frame the loader registered as register_frame
insert into reference.psc_corporate_owners by name select * from register_frame
