-- headline counts of the notice staging tables
select
    (select count(*) from staging.notice_releases) as releases,
    (select count(*) from staging.awards) as awards,
    (select count(*) from staging.awards where duplicate_of is not null) as cross_source_duplicates,
    (select count(*) from staging.award_suppliers) as award_suppliers
