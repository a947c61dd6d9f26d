-- empty the column dictionary before it is regenerated
delete from meta.column_dictionary
