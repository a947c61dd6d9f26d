-- empty marts.group_exposure before it is rebuilt
delete from marts.group_exposure
