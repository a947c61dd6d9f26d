-- spend bodies to parse again from the raw store after a parser change: publications whose lines came from
-- another parser version (all publications when $everything), and every body the parser set aside; one row
-- per council and body, with what the original fetch knew about its link
with stale_publications as (
    select p.council_gss, p.publication_id as sha256, p.source_url, p.link_text, p.landing_page, p.fetched_at,
        p.dataset_kind, case when p.period_source = 'link' then p.period_key end as period_label,
        'publication' as origin
    from staging.spend_publications as p
    where $everything or exists (
        select 1 from staging.spend_lines as l
        where l.council_gss = p.council_gss and l.publication_id = p.publication_id
            and l.parser_version is distinct from $parser_version
    )
),

set_aside as (
    select q.council_gss, q.source_sha256 as sha256, any_value(q.source_url) as source_url,
        any_value(q.link_text) as link_text, null as landing_page, max(q.quarantined_at) as fetched_at,
        null as dataset_kind, any_value(q.period_label) as period_label, 'quarantine' as origin
    from staging.quarantine as q
    where q.source_sha256 is not null and q.reason_code not like 'fetch_error%'
        and not exists (
            select 1 from staging.spend_publications as p
            where p.council_gss = q.council_gss and p.publication_id = q.source_sha256
        )
    group by q.council_gss, q.source_sha256
)

select * from stale_publications
union all
select * from set_aside
order by council_gss, sha256
