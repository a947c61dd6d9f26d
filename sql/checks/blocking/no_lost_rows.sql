-- every current staging line reaches core.fact_payment, as itself or as the copy a later current file repeated
select 'lost row: ' || l.council_gss || ' ' || coalesce(l.source_url, l.publication_id) || ' row ' || coalesce(cast(l.row_number as varchar), '?') || ' is in no fact row'
from staging.spend_lines as l
semi join staging.spend_publications as p on p.publication_id = l.publication_id and p.is_current
anti join core.fact_payment as same_payment
    on same_payment.council_gss = l.council_gss and same_payment.row_fingerprint = l.row_fingerprint
anti join core.fact_payment as same_row
    on same_row.source_sha256 = l.source_sha256 and same_row.sheet is not distinct from l.sheet
    and same_row.row_number = l.row_number
limit 20
