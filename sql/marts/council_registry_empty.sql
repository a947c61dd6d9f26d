-- no registry loaded (reference.councils absent): every council's cadence is unknown
create or replace temp table mart_council_registry (council_gss varchar, cadence varchar, threshold varchar, end_date date)
