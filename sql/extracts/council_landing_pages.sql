-- each council's spending landing pages that the published files were found on, named from the stage report (datapackage sources)
select
    m.council_gss,
    coalesce(max(s.council_name), m.council_gss) as council_name,
    m.landing_page
from raw.fetch_manifest as m
left join meta.stage_report as s on s.council_gss = m.council_gss
where m.source_kind = 'council_file' and m.landing_page is not null and m.council_gss is not null
group by m.council_gss, m.landing_page
order by council_name, m.landing_page
