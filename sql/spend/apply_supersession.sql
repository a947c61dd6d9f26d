-- one council: a publication is superseded by the latest later publication of the same kind whose period covers it
update staging.spend_publications as p
set is_current = s.superseded_by is null, superseded_by = s.superseded_by
from (
    select
        a.publication_id,
        arg_max(b.publication_id, b.fetched_at::varchar || b.publication_id) as superseded_by
    from staging.spend_publications as a
    left join staging.spend_publications as b
        on b.council_gss = a.council_gss
        and b.dataset_kind = a.dataset_kind
        and b.publication_id <> a.publication_id
        and b.period_start <= a.period_start
        and b.period_end >= a.period_end
        and (b.fetched_at > a.fetched_at or (b.fetched_at = a.fetched_at and b.publication_id > a.publication_id))
    where a.council_gss = $council_gss
    group by a.publication_id
) as s
where p.council_gss = $council_gss and p.publication_id = s.publication_id
