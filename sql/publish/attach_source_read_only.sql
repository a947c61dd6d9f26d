-- the checkpointed working database, attached read-only as the source of the published copy
attach $path as publish_source (read_only)
