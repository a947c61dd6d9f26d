-- the councils in supersede_councils: a publication held back by a failed check is out; any other is superseded
-- by the latest publication of the same kind fetched after it (held-back ones excluded) whose period covers its own.
-- A publication is one file of one council: (council_gss, publication_id), as the same bytes may be linked by two.
update staging.spend_publications as p
set held_back = s.held_back,
    is_current = not s.held_back and s.superseded_by is null,
    superseded_by = s.superseded_by
from (
    with publications as (
        select
            s.publication_id, s.council_gss, s.dataset_kind, s.period_start, s.period_end, s.fetched_at,
            exists (
                select 1 from meta.publication_holds as h
                where h.council_gss = s.council_gss and h.publication_id = s.publication_id
            ) as held_back
        from staging.spend_publications as s
        where s.council_gss in (select council_gss from supersede_councils)
    )
    select
        a.council_gss,
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
    group by a.council_gss, a.publication_id
) as s
where p.council_gss = s.council_gss and p.publication_id = s.publication_id
