-- copy each publication's is_current onto its lines (one council)
update staging.spend_lines as l
set is_current = p.is_current
from staging.spend_publications as p
where l.council_gss = $council_gss and p.council_gss = $council_gss and l.publication_id = p.publication_id
    and l.is_current is distinct from p.is_current
