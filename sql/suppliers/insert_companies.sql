-- loads reference.companies from the register frame the loader registered as register_frame
insert into reference.companies by name select * from register_frame
