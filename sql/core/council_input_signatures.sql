-- per council, a hash of everything its payment facts are built from: its publications (as loaded), its staged
-- lines (every column but the derived is_current), its supplier-name crosswalk, and $build_signature (the build's
-- SQL, the service taxonomy and the check thresholds). Equal hashes: the council's facts need no rebuild.
with publications as (
    select council_gss, count(*) as n,
        sum(hash(publication_id, dataset_kind, period_start, period_end, fetched_at, loaded_at, rows, net_total)) as h
    from staging.spend_publications
    group by council_gss
),
lines as (
    select council_gss, count(*) as n, sum(hash(*columns(* exclude (is_current)))) as h
    from staging.spend_lines
    group by council_gss
),
names as (
    select council_gss, count(*) as n, sum(hash(raw_name, supplier_id, supplier_key)) as h
    from core.supplier_names
    where source = 'spend'
    group by council_gss
)
select
    p.council_gss,
    md5(concat_ws('|', $build_signature, p.n, p.h, coalesce(l.n, 0), coalesce(l.h, 0), coalesce(n.n, 0), coalesce(n.h, 0)))
        as input_signature
from publications as p
left join lines as l using (council_gss)
left join names as n using (council_gss)
order by p.council_gss
