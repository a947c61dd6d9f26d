-- supplier rows flattened before they carried their release id (they need one rebuild)
select count(*) from staging.notice_supplier_rows where release_id is null
