"""returnkit: bundled specs, one validation engine and a mock server for returns APIs."""

from returnkit.errors import ReturnkitError, SpecError, UnknownOperation, UnknownProvider
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
