-- the storage format of each attached database file (duckdb_databases tags it)
select database_name, tags['storage_version'] as storage_version
from duckdb_databases()
where not internal
order by database_name
