"""Providers: one package each, the same modules in each (see ARCHITECTURE.md).

`render_validation_error(verdict)` answers a rejected payload the way the provider would.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache

from returnkit.providers.kit import ErrorFormat, ProviderKit
from returnkit.providers.wire import WireResponse
from returnkit.validation import Verdict


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


def spec_files(kits: Sequence[ProviderKit]) -> dict[str, str]:
    """Each kit's spec file by provider name, in the kits' order: what a catalog of them reads."""
    return {kit.name: kit.spec_file for kit in kits}


@cache
def error_formats() -> Mapping[str, ErrorFormat]:
    """Each provider's `ErrorFormat`, from its kit: the one registry the server and the CLI share."""
    return {kit.name: kit.errors for kit in default_kits()}


def render_validation_error(verdict: Verdict) -> WireResponse:
    """The provider's own response (status, body) to the invalid payload behind `verdict`:
    what the server's validation stage answers, through the same `ErrorFormat.invalid`."""
    return error_formats()[verdict.provider].invalid(verdict)


__all__ = ["ProviderKit", "WireResponse", "default_kits", "error_formats", "render_validation_error", "spec_files"]
