-- what one run did at each derived stage it reached: built or unchanged
select stage, status from meta.stage_builds where run_id = $run_id order by stage
