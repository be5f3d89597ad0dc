"""The catalog: every provider's spec and a compiled validator per operation, built once."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache, partial
from typing import TYPE_CHECKING, Any, Protocol

from returnkit.errors import ReturnkitError, UnknownProvider
from returnkit.spec import PROVIDER_FILES, SPEC_FILES, Operation, ProviderSpec, load_provider
from returnkit.validation.jsonschema_engine import SchemaValidator
from returnkit.validation.keycase import folds_keys
from returnkit.validation.verdict import Verdict

if TYPE_CHECKING:
    from graphql import GraphQLSchema

    from returnkit.validation.graphql_engine import Documents


class NoRequestBody(ReturnkitError):
    """The operation takes no request body, so there is nothing to validate."""


class PayloadValidator(Protocol):
    operation: Operation

    def validate(self, payload: Any) -> Verdict: ...

    def validate_json(self, data: bytes | str) -> Verdict: ...

    def read_json(self, data: bytes | str) -> tuple[Verdict, Any]: ...


class Catalog:
    """Specs and validators for a set of providers; each is loaded on first use and kept.

    `providers` names bundled specs (`Catalog(["zinc"])`), or maps each name to its spec file
    (`Catalog({kit.name: kit.spec_file ...})`, as the server builds it from its kits).
    """

    def __init__(self, providers: Iterable[str] | Mapping[str, str] = PROVIDER_FILES) -> None:
        if not isinstance(providers, Mapping):
            providers = {name: _bundled_file(name) for name in providers}
        self._files = dict(providers)
        self.providers = tuple(self._files)
        self._specs: dict[str, ProviderSpec] = {}
        self._validators: dict[tuple[str, str], PayloadValidator] = {}
        self._graphql: dict[str, Documents] = {}

    def spec(self, provider: str) -> ProviderSpec:
        if provider not in self.providers:
            raise UnknownProvider(provider, self.providers)
        if provider not in self._specs:
            self._specs[provider] = load_provider(provider, self._files[provider])
        return self._specs[provider]

    def operation(self, provider: str, name: str) -> Operation:
        return self.spec(provider).operation(name)

    def validator(self, provider: str, operation: str) -> PayloadValidator:
        """The compiled validator for `operation` (operationId or alias) of `provider`."""
        resolved = self.operation(provider, operation)
        key = (provider, resolved.operation_id)
        if key not in self._validators:
            self._validators[key] = self._build(resolved)
        return self._validators[key]

    def validate(self, provider: str, operation: str, payload: Any) -> Verdict:
        return self.validator(provider, operation).validate(payload)

    def _build(self, operation: Operation) -> PayloadValidator:
        spec = self.spec(operation.provider)
        if operation.kind == "webhook":  # a payload the provider sends: JSON Schema (Rye's too), keys as spelt
            return self._rest(operation, spec, fold_keys=False)
        if operation.kind == "graphql":
            from returnkit.validation.graphql_engine import GraphQLValidator  # only Rye needs graphql-core

            envelope = next(op for op in spec.operations if op.kind == "rest")
            documents = self.graphql_documents(operation.provider)
            return GraphQLValidator(operation, documents, self._rest(envelope, spec))
        if spec.graphql_sdl is not None:  # the GraphQL endpoint itself: its server reads the document too
            from returnkit.validation.graphql_request import GraphQLRequestValidator

            calls = {op.operation_id: op for op in spec.operations if op.kind == "graphql"}
            schema_on_first_use = partial(self.graphql_documents, operation.provider)
            return GraphQLRequestValidator(self._rest(operation, spec), schema_on_first_use, calls)
        return self._rest(operation, spec)

    def _rest(self, operation: Operation, spec: ProviderSpec, *, fold_keys: bool = True) -> SchemaValidator:
        if operation.request_schema is None:
            raise NoRequestBody(f"{operation.provider} {operation.operation_id} takes no request body")
        return SchemaValidator(operation, spec.components, fold_keys=fold_keys and folds_keys(spec.document))

    def graphql_schema(self, provider: str) -> GraphQLSchema:
        return self.graphql_documents(provider).schema

    def graphql_documents(self, provider: str) -> Documents:
        """The provider's GraphQL schema with its one cache of parsed, validated documents."""
        if provider not in self._graphql:
            sdl = self.spec(provider).graphql_sdl
            if sdl is None:
                raise ReturnkitError(f"{provider} has no GraphQL schema")
            from graphql import build_schema

            from returnkit.validation.graphql_engine import Documents

            self._graphql[provider] = Documents(build_schema(sdl))
        return self._graphql[provider]


def _bundled_file(name: str) -> str:
    if name not in SPEC_FILES:
        raise UnknownProvider(name, PROVIDER_FILES)
    return SPEC_FILES[name]


@cache
def default_catalog() -> Catalog:
    """The process-wide catalog behind the module-level `validate()`."""
    return Catalog()


def validate(provider: str, operation: str, payload: Any) -> Verdict:
    """Validate one payload for `operation` (operationId or alias) of `provider`."""
    return default_catalog().validate(provider, operation, payload)
