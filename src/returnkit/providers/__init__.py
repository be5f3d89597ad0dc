"""Providers: one package each, the same modules in each (see ARCHITECTURE.md).

`render_validation_error(verdict)` answers a rejected payload the way the provider would.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from returnkit.providers.aboutyou import errors as aboutyou_errors
from returnkit.providers.kibo_commerce import errors as kibo_commerce_errors
from returnkit.providers.kibo_oms import errors as kibo_oms_errors
from returnkit.providers.kit import ProviderKit
from returnkit.providers.rye import errors as rye_errors
from returnkit.providers.wire import WireResponse
from returnkit.providers.zinc import errors as zinc_errors
from returnkit.validation import Verdict

VALIDATION_RENDERERS: Mapping[str, Callable[[Verdict], WireResponse]] = {
    "aboutyou": aboutyou_errors.render_validation_error,
    "zinc": zinc_errors.render_validation_error,
    "rye": rye_errors.render_validation_error,
    "kibo-commerce": kibo_commerce_errors.render_validation_error,
    "kibo-oms": kibo_oms_errors.render_validation_error,
}


def default_kits() -> list[ProviderKit]:
    """A fresh kit per provider, in the order the server registers them."""
    from returnkit.providers.aboutyou import AboutYou
    from returnkit.providers.kibo_commerce import KiboCommerce
    from returnkit.providers.kibo_oms import KiboOms
    from returnkit.providers.rye import Rye
    from returnkit.providers.zinc import Zinc

    return [
        AboutYou(),
        Zinc(),
        Rye(),
        KiboCommerce(),
        KiboOms(),
    ]


def render_validation_error(verdict: Verdict) -> WireResponse:
    """The provider's own response (status, body) to the invalid payload behind `verdict`."""
    return VALIDATION_RENDERERS[verdict.provider](verdict)


__all__ = ["VALIDATION_RENDERERS", "ProviderKit", "WireResponse", "default_kits", "render_validation_error"]
