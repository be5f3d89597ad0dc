"""A method the path does not serve gets the provider's 405 whose `Allow` lists every method the
spec declares for that path (RFC 9110 §15.5.6), on the real path and under `/{provider}/`."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any

import pytest

from returnkit.spec import HTTP_METHODS, SPEC_FILES, load_provider
from tests.http import TestClient, serving

PROBES = ("PATCH", "PUT", "DELETE", "POST", "GET")


@pytest.fixture(scope="module")
def client(app: Any) -> Iterator[TestClient]:
    """One client for the module: a 405 changes nothing, so no test needs a fresh world."""
    with serving(app) as http:
        yield http


@functools.cache
def _declared() -> tuple[tuple[str, str, frozenset[str]], ...]:
    cases = []
    for provider in SPEC_FILES:
        paths = load_provider(provider).document["paths"]
        for template, item in paths.items():
            cases.append((provider, template, frozenset(m.upper() for m in item if m in HTTP_METHODS)))
    return tuple(cases)


def _concrete(template: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", template)


def _expected(provider: str, path: str) -> set[str]:
    """Every method of the most specific path templates of the spec that `path` falls under."""
    matching = [
        (sum(1 for part in template.split("/") if part and not part.startswith("{")), declared)
        for _, template, declared in (case for case in _declared() if case[0] == provider)
        if re.fullmatch(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)), path)
    ]
    most_specific = max(literals for literals, _ in matching)
    methods = set().union(*(declared for literals, declared in matching if literals == most_specific))
    return methods | ({"HEAD"} if "GET" in methods else set())


@pytest.mark.parametrize(("provider", "template", "declared"), _declared(), ids=str)
def test_a_wrong_method_is_told_every_method_the_path_serves(
    client: TestClient, provider: str, template: str, declared: frozenset[str]
) -> None:
    path = _concrete(template)
    method = next(probe for probe in PROBES if probe not in _expected(provider, path))
    prefixes = [""] if provider == "admin" else ["", f"/{provider}"]
    for prefix in prefixes:
        response = client.request(method, prefix + path)
        assert response.status_code == 405, (method, prefix + path, response.text)
        allowed = {m.strip() for m in response.headers["allow"].split(",")}
        assert allowed == _expected(provider, path)
        assert declared <= allowed
