"""A stand-in for graphql-core's `parse` that counts the texts it is given: how tests hold "one parse"."""

from __future__ import annotations

from collections.abc import Callable

import graphql
from graphql.language.ast import DocumentNode


def counting_parse(parsed: list[str]) -> Callable[[str], DocumentNode]:
    def parse(text: str) -> DocumentNode:
        parsed.append(text)
        return graphql.parse(text)

    return parse
