-- forget the payment facts of the councils being rebuilt (build_councils) before they are inserted again
delete from core.fact_payment where council_gss in (select council_gss from build_councils)
