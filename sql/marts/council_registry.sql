-- the registry's publication facts for the marts (cadence, threshold, end date), from reference.councils as the councils asset loaded it
create or replace temp table mart_council_registry as
select gss as council_gss, cast(cadence as varchar) as cadence, cast(threshold as varchar) as threshold,
    try_cast(end_date as date) as end_date
from reference.councils
