-- empty the table dictionary before it is regenerated
delete from meta.table_dictionary
