-- empty marts.transparency_compliance before it is rebuilt
delete from marts.transparency_compliance
