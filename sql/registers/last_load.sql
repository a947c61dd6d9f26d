-- when each register was last loaded, and from which body
select register, sha256, loaded_at, rows from reference.register_loads where register = $register
