-- supplier concentration trend: HHI (0-10000) of each council's external spend by financial year, by legal entity and after group roll-up
select
    council_name,
    financial_year,
    max(hhi) filter (where entity_level = 'supplier') as hhi_suppliers,
    max(hhi) filter (where entity_level = 'group') as hhi_groups,
    max(concentration_band) filter (where entity_level = 'group') as band_groups,
    max(top5_share) filter (where entity_level = 'group') as top5_group_share
from marts.supplier_concentration
where service = 'all'
group by council_name, financial_year
order by council_name, financial_year
