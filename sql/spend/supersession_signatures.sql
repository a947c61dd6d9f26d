-- the councils in supersede_councils: a hash of what their supersession depends on (publications as loaded, holds,
-- $sql_signature) and the hash recorded when it was last applied; equal hashes mean the lines are up to date
with publications as (
    select
        p.council_gss,
        md5($sql_signature || string_agg(concat_ws('|', p.publication_id, p.dataset_kind, p.period_start, p.period_end,
                                                    p.fetched_at, p.loaded_at,
                                                    exists (select 1 from meta.publication_holds as h
                                                            where h.council_gss = p.council_gss
                                                                and h.publication_id = p.publication_id)),
                                          ',' order by p.publication_id)) as input_signature
    from staging.spend_publications as p
    where p.council_gss in (select council_gss from supersede_councils)
    group by p.council_gss
)
select c.council_gss, p.input_signature, s.input_signature as applied_signature
from supersede_councils as c
left join publications as p using (council_gss)
left join meta.supersession_state as s using (council_gss)
order by c.council_gss
