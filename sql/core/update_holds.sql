-- holds confirmed by this build (new_holds): the latest reason, checked now; held_since stays
update meta.publication_holds as h
set reason = n.reason, checked_at = $now
from new_holds as n
where n.council_gss = h.council_gss and n.publication_id = h.publication_id and n.check_name = h.check_name
