"""The mock world's data: `mocks/*.yaml`, shipped in the package, and a seeded faker per provider."""

from __future__ import annotations

import hashlib
import importlib.resources
from collections.abc import Mapping
from typing import Any

from faker import Faker

from returnkit.errors import SpecError
from returnkit.spec import parse_yaml


def read_mock(name: str) -> Mapping[str, Any]:
    """The parsed `mocks/<name>.yaml` bundled with the package."""
    resource = importlib.resources.files("returnkit") / "mocks" / f"{name}.yaml"
    try:
        data = parse_yaml(resource.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SpecError(f"bundled mock world {name!r} is missing from the installed package") from exc
    if not isinstance(data, Mapping):
        raise SpecError(f"mocks/{name}.yaml must hold a mapping")
    return data


# The faker providers whose methods the worlds call (directly, or through another's formats: an
# email is made of a person's names and a company's), in Faker's own order. A Faker loads its
# 25 providers by default, and importing their locale modules is most of the first one's cost
# (about a tenth of `returnkit serve`'s start); with these five every method the worlds call is
# the same provider's and the random stream the same, so a seed makes the same world.
FAKER_PROVIDERS = tuple(f"faker.providers.{name}" for name in ("address", "company", "internet", "misc", "person"))


def seeded_faker(seed: int, scope: str, locale: str = "en_US") -> Faker:
    """A faker whose every value follows from (`seed`, `scope`): one stream per provider.

    One locale only: a multi-locale Faker seeds each locale alike and alternates between
    them, so values repeat (and generated ids collide).
    """
    faker = Faker(locale, providers=list(FAKER_PROVIDERS))
    faker.seed_instance(derive_int(seed, scope))
    return faker


def derive_int(seed: int, *parts: object) -> int:
    digest = hashlib.sha256(repr((seed, *parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def derive_uuid(seed: int, *parts: object) -> str:
    """A UUID (version 4 layout) fixed by the seed and `parts`, so ids repeat run after run."""
    digest = bytearray(hashlib.sha256(repr((seed, *parts)).encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x40  # version 4
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    hexed = digest.hex()
    return f"{hexed[:8]}-{hexed[8:12]}-{hexed[12:16]}-{hexed[16:20]}-{hexed[20:]}"
