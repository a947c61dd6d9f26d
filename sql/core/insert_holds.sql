-- holds new in this build (new_holds), with the publication's period and source for the reader
insert into meta.publication_holds (publication_id, council_gss, period_key, source_url, check_name, reason,
                                    held_since, checked_at)
select n.publication_id, n.council_gss, p.period_key, p.source_url, n.check_name, n.reason, $now, $now
from new_holds as n
left join staging.spend_publications as p on p.council_gss = n.council_gss and p.publication_id = n.publication_id
where not exists (
    select 1 from meta.publication_holds as h
    where h.council_gss = n.council_gss and h.publication_id = n.publication_id and h.check_name = n.check_name
)
