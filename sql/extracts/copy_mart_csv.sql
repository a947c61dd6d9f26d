-- one mart as utf-8 csv with a header; text cells a spreadsheet would run as a formula (= + - @ tab cr) get a leading quote, numbers never do
copy (
    select
        case
            when typeof(columns(*)) in ('VARCHAR', 'JSON') and regexp_matches(columns(*)::varchar, '^[=+\-@\t\r]')
                then '''' || columns(*)::varchar
            when typeof(columns(*)) like '%[]' or typeof(columns(*)) like 'STRUCT%' or typeof(columns(*)) like 'MAP%'
                then to_json(columns(*))::varchar
            when typeof(columns(*)) like 'TIMESTAMP%' then replace(columns(*)::varchar, ' ', 'T')
            else columns(*)::varchar
        end
    from (select * from query_table($table) order by all)
) to $path (format csv, header true, delimiter ',', quote '"', escape '"')
