-- a new database file written in a storage format older duckdb clients read (e.g. the 1.5 cli from pip)
attach $path as publish_target (storage_version $storage_version)
