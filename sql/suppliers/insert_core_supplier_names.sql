-- writes core.supplier_names from the frame the suppliers build registered as core_frame
insert into core.supplier_names by name select * from core_frame
