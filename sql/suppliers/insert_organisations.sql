-- loads one list's rows into reference.organisations from the frame the loader registered as register_frame
insert into reference.organisations by name select * from register_frame
