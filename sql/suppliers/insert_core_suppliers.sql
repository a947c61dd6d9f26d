-- writes core.suppliers from the frame the suppliers build registered as core_frame
insert into core.suppliers by name select * from core_frame
