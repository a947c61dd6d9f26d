-- keep-it-local scorecard per council and UK financial year (and fiscal quarter): shares of current spend by the metric definitions in docs/architecture.md, the months the data covers (a quarter with two of its three months published says so), the share of spend published net, gross or on an unknown basis, with peer comparison within council type
insert into marts.keep_it_local_scorecard by name
with classified as (
    select
        f.council_gss,
        f.financial_year,
        f.fiscal_quarter,
        f.month_start,
        f.amount,
        coalesce(f.amount_basis, 'unknown') as amount_basis,
        -- a line with no resolved supplier but a redaction label or a blank payee is a redacted payment
        coalesce(s.org_type, case
            when coalesce(f.redaction_kind, 'none') <> 'none' or nullif(trim(f.supplier_name), '') is null
                then 'redacted'
        end) as org_type,
        s.org_id,
        coalesce(s.size, 'unknown') as size,
        coalesce(s.vcse, false) as vcse,
        s.lad_gss,
        s.county_area as supplier_county_area,
        s.county_gss as supplier_county_gss,
        s.region_gss as supplier_region_gss,
        c.council_type,
        c.county_area as council_county_area,
        c.region_gss as council_region_gss
    from core.fact_payment as f
    join core.dim_council as c on c.council_gss = f.council_gss
    left join core.dim_supplier as s on s.supplier_key = f.supplier_key
    where f.financial_year is not null
),
flagged as (
    select
        *,
        lad_gss = council_gss or (council_type = 'county' and supplier_county_gss = council_gss) as is_local_authority,
        supplier_county_area = council_county_area as is_local_county,
        supplier_region_gss = council_region_gss as is_local_region
    from classified
),
periods as (
    select council_gss, financial_year, 'year' as period_grain, null as quarter, * exclude (council_gss, financial_year)
    from flagged
    union all by name
    select council_gss, financial_year, 'quarter' as period_grain, fiscal_quarter as quarter, * exclude (council_gss, financial_year)
    from flagged
),
totals as (
    select
        council_gss,
        financial_year,
        period_grain,
        quarter,
        sum(amount) as total_spend,
        count(distinct month_start) as months_covered,
        case when period_grain = 'year' then 12 else 3 end as months_in_period,
        sum(amount) filter (where is_local_authority) as local_authority,
        sum(amount) filter (where is_local_county) as local_county,
        sum(amount) filter (where is_local_region) as local_region,
        sum(amount) filter (where size = 'sme') as sme,
        sum(amount) filter (where vcse) as vcse,
        sum(amount) filter (where org_type = 'public_body') as public_body,
        sum(amount) filter (where org_type = 'company' and size = 'large') as large_private,
        sum(amount) filter (where org_type in ('individual', 'redacted')) as individual_redacted,
        sum(amount) filter (
            where org_id is null and coalesce(org_type, 'other') not in ('public_body', 'individual', 'redacted')
        ) as unresolved,
        sum(amount) filter (where org_type in ('company', 'cic', 'charity', 'other') and size = 'unknown') as unknown_size,
        sum(amount) filter (where lad_gss is null) as unknown_location,
        sum(amount) filter (where amount_basis = 'net') as net_basis,
        sum(amount) filter (where amount_basis = 'gross') as gross_basis
    from periods
    group by all
),
shares as (
    select
        t.council_gss,
        c.council_name,
        c.council_type,
        c.region_gss,
        t.financial_year,
        t.period_grain,
        t.quarter,
        t.total_spend,
        t.months_covered,
        t.months_in_period,
        round(100 * coalesce(local_authority, 0) / nullif(total_spend, 0), 4) as local_authority_share,
        round(100 * coalesce(local_county, 0) / nullif(total_spend, 0), 4) as local_county_share,
        round(100 * coalesce(local_region, 0) / nullif(total_spend, 0), 4) as local_region_share,
        round(100 * coalesce(sme, 0) / nullif(total_spend, 0), 4) as sme_share,
        round(100 * coalesce(vcse, 0) / nullif(total_spend, 0), 4) as vcse_share,
        round(100 * coalesce(public_body, 0) / nullif(total_spend, 0), 4) as public_share,
        round(100 * coalesce(large_private, 0) / nullif(total_spend, 0), 4) as large_private_share,
        round(100 * coalesce(individual_redacted, 0) / nullif(total_spend, 0), 4) as individual_redacted_share,
        round(100 * coalesce(unresolved, 0) / nullif(total_spend, 0), 4) as unresolved_share,
        round(100 * coalesce(unknown_size, 0) / nullif(total_spend, 0), 4) as unknown_size_share,
        round(100 * coalesce(unknown_location, 0) / nullif(total_spend, 0), 4) as unknown_location_share,
        -- what the amounts are: shares of total_spend published net of VAT, gross, or on an unknown basis
        round(100 * coalesce(net_basis, 0) / nullif(total_spend, 0), 4) as net_basis_share,
        round(100 * coalesce(gross_basis, 0) / nullif(total_spend, 0), 4) as gross_basis_share,
        round(100 * (total_spend - coalesce(net_basis, 0) - coalesce(gross_basis, 0)) / nullif(total_spend, 0), 4)
            as unknown_basis_share
    from totals as t
    join core.dim_council as c on c.council_gss = t.council_gss
)
select
    *,
    median(local_authority_share) over peers as peer_median_local_authority_share,
    case when local_authority_share is not null
        then rank() over (peers order by local_authority_share desc nulls last)
    end as peer_rank_local_authority
from shares
window peers as (partition by council_type, financial_year, period_grain, quarter)
