-- empty marts.keep_it_local_scorecard before it is rebuilt
delete from marts.keep_it_local_scorecard
