-- set one file or fetch aside with a reason
insert into staging.quarantine (
    council_gss, source_url, source_sha256, reason_code, reason, link_text, period_label, quarantined_at
) values ($council_gss, $source_url, $source_sha256, $reason_code, $reason, $link_text, $period_label, $quarantined_at)
