-- record the candidates one council's deep discovery found (registered as candidates_df)
insert into reference.discovery_candidates by name
select council_gss, page_url, depth, trail, files, sample_link, score, current_timestamp as discovered_at
from candidates_df
