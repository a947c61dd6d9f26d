-- row fingerprints for parsed spend lines: sha256 over council, transaction id, line, date, supplier, amount
select sha256(concat_ws('|', coalesce(council_gss, ''), coalesce(transaction_id, ''), coalesce(line_no, ''),
                        coalesce(cast(payment_date as varchar), ''), coalesce(supplier_name, ''),
                        coalesce(amount, ''))) as row_fingerprint
from fingerprint_keys
