"""Which methods a path allows, read from the provider's spec: the `Allow` header of a 405.

Connexion's router answers a wrong method with the methods of the first route whose path
matched, which is one operation's. RFC 9110 §15.5.6 asks for every method the resource
supports, so the answer is read from every operation of the spec whose path template matches.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from returnkit.spec import Operation

_PARAMETER = re.compile(r"\\{[^/}]+\\}")  # a path template's {name}, as re.escape() writes it


class AllowedMethods:
    """Path templates of one spec compiled once; `for_path` lists the methods a path allows."""

    def __init__(self, operations: Iterable[Operation]) -> None:
        self._routes = [
            (_template_pattern(operation.path), _literal_segments(operation.path), operation.method.upper())
            for operation in operations
            if operation.kind == "rest"
        ]

    def for_path(self, path: str) -> list[str]:
        """The methods of the most specific templates the path falls under: `/returns/actions` is its
        own resource (POST), not `/returns/{returnId}` (GET, PUT, DELETE) with an odd id."""
        matching = [(literals, method) for pattern, literals, method in self._routes if pattern.fullmatch(path)]
        most_specific = max((literals for literals, _ in matching), default=0)
        methods = {method for literals, method in matching if literals == most_specific}
        if "GET" in methods:
            methods.add("HEAD")  # Starlette answers HEAD wherever GET is served
        return sorted(methods)


def _literal_segments(template: str) -> int:
    return sum(1 for segment in template.split("/") if segment and not segment.startswith("{"))


def _template_pattern(template: str) -> re.Pattern[str]:
    return re.compile(_PARAMETER.sub("[^/]+", re.escape(template)), re.DOTALL)
