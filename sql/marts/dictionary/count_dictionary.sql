-- rows in the two dictionary tables
select (select count(*) from meta.table_dictionary), (select count(*) from meta.column_dictionary)
