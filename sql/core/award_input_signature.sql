-- a hash of everything core.fact_award is built from: the staged awards and their suppliers, the notice names of
-- the supplier crosswalk, the councils' name keys, and $build_signature
select md5(concat_ws('|', $build_signature,
    (select count(*) || ':' || coalesce(sum(hash(*columns(*))), 0) from staging.awards),
    (select count(*) || ':' || coalesce(sum(hash(*columns(*))), 0) from staging.award_suppliers),
    (select count(*) || ':' || coalesce(sum(hash(raw_name, source, supplier_key)), 0)
     from core.supplier_names where source in ('contracts_finder', 'find_a_tender')),
    (select count(*) || ':' || coalesce(sum(hash(council_gss, name_key)), 0) from core.dim_council)))
