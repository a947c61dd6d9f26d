-- record what the supersession of each council in supersede_state was applied to
insert into meta.supersession_state (council_gss, input_signature, applied_at)
select council_gss, input_signature, $applied_at from supersede_state where input_signature is not null
