-- the public bodies register (councils, academy trusts): small, read whole
select org_id, name, name_key, kind, gss from reference.public_bodies
