-- forget the recorded supersession state of the councils in supersede_councils (re-recorded after applying it)
delete from meta.supersession_state where council_gss in (select council_gss from supersede_councils)
