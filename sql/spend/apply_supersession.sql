-- the councils in supersede_councils: a publication held back by a failed check is out; any other is superseded
-- by the latest publication of the same kind fetched after it (held-back ones excluded) whose period covers its own
update staging.spend_publications as p
set held_back = s.held_back,
    is_current = not s.held_back and s.superseded_by is null,
    superseded_by = s.superseded_by
from (
    with publications as (
        select
            publication_id, council_gss, dataset_kind, period_start, period_end, fetched_at,
            publication_id in (select h.publication_id from meta.publication_holds as h) as held_back
        from staging.spend_publications
        where council_gss in (select council_gss from supersede_councils)
    )
    select
        a.publication_id,
        any_value(a.held_back) as held_back,
        arg_max(b.publication_id, strftime(b.fetched_at, '%Y-%m-%dT%H:%M:%S.%f') || b.publication_id) as superseded_by
    from publications as a
    left join publications as b
        on b.council_gss = a.council_gss
        and b.dataset_kind = a.dataset_kind
        and b.publication_id <> a.publication_id
        and not b.held_back
        and b.period_start <= a.period_start
        and b.period_end >= a.period_end
        and (b.fetched_at > a.fetched_at or (b.fetched_at = a.fetched_at and b.publication_id > a.publication_id))
    group by a.publication_id
) as s
where p.publication_id = s.publication_id and p.council_gss in (select council_gss from supersede_councils)
