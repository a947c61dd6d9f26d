-- every schema, table, view and sequence of the working database into the reader copy
copy from database publish_source to publish_target
