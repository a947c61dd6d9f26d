-- what each part of the core was last built from (meta.core_builds)
select part, input_signature from meta.core_builds order by part
