"""returnkit: bundled specs, one validation engine and a mock server for returns APIs.

The public names below are imported on first use (PEP 562), so `validate-payload` and
`import returnkit.validation` load neither the providers nor the server.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from returnkit.errors import ReturnkitError, SpecError, UnknownOperation, UnknownProvider

if TYPE_CHECKING:
    from returnkit.providers import WireResponse, render_validation_error
    from returnkit.validation import Catalog, PayloadError, Verdict, validate

__version__ = "0.1.0"

__all__ = [
    "Catalog",
    "PayloadError",
    "ReturnkitError",
    "SpecError",
    "UnknownOperation",
    "UnknownProvider",
    "Verdict",
    "WireResponse",
    "__version__",
    "render_validation_error",
    "validate",
]

_LAZY = {
    "Catalog": "returnkit.validation",
    "PayloadError": "returnkit.validation",
    "Verdict": "returnkit.validation",
    "validate": "returnkit.validation",
    "WireResponse": "returnkit.providers",
    "render_validation_error": "returnkit.providers",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'returnkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # once imported, a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
