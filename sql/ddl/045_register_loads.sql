-- which raw body each reference register table was loaded from, so an unchanged register is not reloaded
create table if not exists reference.register_loads (
    register varchar primary key,
    url varchar,
    sha256 varchar,        -- for multi-part registers, the hash of the part hashes
    loaded_at timestamp,
    rows bigint
);
