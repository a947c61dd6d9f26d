-- the pipeline version of the latest run recorded in the published warehouse (the run that published it)
select pipeline_version
from meta.runs
where pipeline_version is not null
order by coalesce(finished_at, started_at) desc nulls last, run_id desc
limit 1
