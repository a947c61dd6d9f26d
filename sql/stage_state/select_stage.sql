-- a stage's last build record (meta.stage_builds)
select stage, input_signature, output_signature, built_at, checked_at, run_id, status, result
from meta.stage_builds where stage = $stage
