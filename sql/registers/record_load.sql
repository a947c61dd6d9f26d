-- remember which body a register table was last loaded from (replacing the previous record)
insert or replace into reference.register_loads (register, url, sha256, loaded_at, rows)
values ($register, $url, $sha256, $loaded_at, $rows)
