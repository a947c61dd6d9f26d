-- the published warehouse, read-only, as database kil of a fresh in-memory session
attach $path as kil (read_only)
