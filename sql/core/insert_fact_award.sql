-- award x supplier rows, each award linked to its copy on the other service so it counts once, with the buyer matched to a council
insert into core.fact_award by name
with awards as (
    select
        a.*,
        a.source || ':' || a.ocid || ':' || a.award_id as award_uid
    from staging.awards as a
),
links as (
    -- duplicate_of may be set on either copy (or both): link the pair both ways when both copies are loaded
    select a.award_uid, d.award_uid as other_uid
    from awards as a
    join awards as d on d.award_uid = a.duplicate_of
    union
    select d.award_uid, a.award_uid
    from awards as a
    join awards as d on d.award_uid = a.duplicate_of
),
canonical as (
    -- the pair shares the lesser uid, whichever service was loaded first
    select
        a.*,
        least(a.award_uid, coalesce((select min(l.other_uid) from links as l where l.award_uid = a.award_uid), a.award_uid))
            as canonical_award_uid
    from awards as a
),
unique_councils as (
    select name_key, min(council_gss) as council_gss
    from core.dim_council
    group by name_key
    having count(*) = 1
),
award_names as (
    select raw_name, source, supplier_key
    from core.supplier_names
    where source in ('contracts_finder', 'find_a_tender')
    qualify row_number() over (partition by raw_name, source order by supplier_key) = 1
),
rows as (
    select
        c.award_uid,
        c.canonical_award_uid,
        c.source,
        c.ocid,
        c.award_id,
        c.buyer_name,
        u.council_gss as buyer_council_gss,
        c.title,
        c.value_amount,
        c.currency,
        count(s.supplier_name) over (partition by c.award_uid) as supplier_count,
        c.award_date,
        c.contract_start,
        c.contract_end,
        c.cpv_code,
        c.procedure,
        s.supplier_party_id,
        s.supplier_name,
        n.supplier_key,
        s.scale,
        s.vcse
    from canonical as c
    left join staging.award_suppliers as s
        on s.source = c.source and s.ocid = c.ocid and s.award_id = c.award_id
    left join unique_councils as u on u.name_key = core.body_key(c.buyer_name)
    left join award_names as n on n.raw_name = s.supplier_name and n.source = s.source
)
select
    *,
    cast(value_amount / greatest(supplier_count, 1) as decimal(18, 2)) as value_share,
    -- the canonical copy counts; a duplicate whose canonical copy was never loaded counts itself
    award_uid = canonical_award_uid as counts_once
from rows
