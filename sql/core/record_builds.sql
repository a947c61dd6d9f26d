-- record what each rebuilt part (build_parts) was built from, with its fact rows and publications held back
insert into meta.core_builds (part, input_signature, built_at, fact_rows, held_back)
select
    b.part,
    b.input_signature,
    $built_at,
    case when b.part = 'fact_award' then (select count(*) from core.fact_award)
         else (select count(*) from core.fact_payment as f where f.council_gss = b.part) end,
    (select count(distinct h.publication_id) from meta.publication_holds as h where h.council_gss = b.part)
from build_parts as b
where b.input_signature is not null
