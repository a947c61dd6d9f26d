-- schemas: one per layer, mirrored by the asset key prefixes
create schema if not exists raw;
create schema if not exists staging;
create schema if not exists reference;
create schema if not exists core;
create schema if not exists marts;
create schema if not exists meta;
