-- the best candidate page of each council, best first
select council_gss, page_url, depth, files, score, trail, discovered_at
from reference.discovery_candidates
qualify row_number() over (partition by council_gss order by score desc, depth, page_url) = 1
order by score desc, council_gss
