-- forget a stage's last build record, before recording the new one
delete from meta.stage_builds where stage = $stage
