-- forget what the parts being rebuilt (build_parts) were last built from, before recording the new build
delete from meta.core_builds where part in (select part from build_parts)
