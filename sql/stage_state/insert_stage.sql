-- record what a stage was just built from
insert into meta.stage_builds (stage, input_signature, output_signature, built_at, checked_at, run_id, status, result)
values ($stage, $input_signature, $output_signature, $built_at, $checked_at, $run_id, $status, $result)
