"""One normalisation of names, identifiers and redactions for every part of the pipeline (parsing.md §7-§8).

Staging (the spend parser's redaction kinds), the supplier resolver and the notices flattener all use these
rules, so they agree on what a name's key is, what is redacted and what is a person. Library code only:
Polars expressions, no I/O beyond the package's own word lists.

* `text`: space-like characters, controls, case;
* `redaction`: whole-phrase redaction labels and pseudonym suffixes;
* `identifiers`: company, charity, VAT numbers, postcodes, URN, UKPRN, ODS codes and org-ids;
* `names`: name keys (legal forms, trading-as, qualifiers, abbreviations);
* `people`: person-name shapes; `vocabulary`: the words that type an organisation.
"""

from pipelines.normalise.identifiers import (
    charity_number,
    company_number,
    org_id,
    org_id_from_text,
    postcode,
    postcode_in_text,
    ukprn,
    urn,
    vat_number,
)
from pipelines.normalise.names import legal_form, name_key, normalise_names, words
from pipelines.normalise.people import person_shape
from pipelines.normalise.redaction import PSEUDONYM_PATTERN, is_redaction_label, redaction_kind_expr
from pipelines.normalise.text import clean_text, squish

__all__ = [
    "PSEUDONYM_PATTERN", "charity_number", "clean_text", "company_number", "is_redaction_label", "legal_form",
    "name_key", "normalise_names", "org_id", "org_id_from_text", "person_shape", "postcode", "postcode_in_text",
    "redaction_kind_expr", "squish", "ukprn", "urn", "vat_number", "words",
]
