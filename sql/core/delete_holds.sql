-- the councils whose holds are re-evaluated (hold_councils): forget holds their publications no longer fail
-- (new_holds lists what the checks found now)
delete from meta.publication_holds as h
where h.council_gss in (select council_gss from hold_councils)
    and not exists (
        select 1 from new_holds as n
        where n.council_gss = h.council_gss and n.publication_id = h.publication_id and n.check_name = h.check_name
    )
