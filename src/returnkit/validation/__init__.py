"""One validation engine for every provider: one payload, one verdict, everywhere.

>>> from returnkit.validation import validate
>>> verdict = validate("zinc", "create-return", {"order_id": "nope"})
>>> verdict.valid, verdict.errors[0].json_path
(False, '$.order_id')
"""

from returnkit.validation.catalog import Catalog, NoRequestBody, PayloadValidator, default_catalog, validate
from returnkit.validation.jsonparse import MalformedJSON, parse_json
from returnkit.validation.verdict import MAX_COUNTED, MAX_ERRORS, PayloadError, Verdict, json_path

__all__ = [
    "MAX_COUNTED",
    "MAX_ERRORS",
    "Catalog",
    "MalformedJSON",
    "NoRequestBody",
    "PayloadError",
    "PayloadValidator",
    "Verdict",
    "default_catalog",
    "json_path",
    "parse_json",
    "validate",
]
