-- appends this run's match coverage by council and method (kept per run for trends)
insert into core.supplier_coverage by name select * from core_frame
