-- the publications held back from the release (a later file did not replace them anyway), with every failed check
select
    p.council_gss,
    coalesce(c.council_name, p.council_gss) as council_name,
    p.publication_id,
    p.period_key,
    p.source_url,
    string_agg(h.check_name, ', ' order by h.check_name) as checks,
    string_agg(h.reason, '; ' order by h.check_name) as reason,
    min(h.held_since) as held_since
from staging.spend_publications as p
join meta.publication_holds as h on h.council_gss = p.council_gss and h.publication_id = p.publication_id
left join core.dim_council as c on c.council_gss = p.council_gss
where p.held_back and p.superseded_by is null
group by all
order by p.council_gss, p.period_key, p.publication_id
