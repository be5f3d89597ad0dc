"""Load the bundled specs and list their operations.

The specs are data shipped inside the package (`returnkit/specs/`); they are read with
`importlib.resources`, never from the network. Each provider's document is parsed once per
`SpecLibrary`, and `$ref`s stay local to it.

A spec's top-level OpenAPI 3.1 `webhooks` (the events the provider sends) are operations too,
named `webhook:<event>` and listed apart (`ProviderSpec.webhooks`): their request body is the
payload the provider sends, validated like any other; nothing routes them.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import orjson

from returnkit.errors import SpecError, UnknownOperation, UnknownProvider

# The specs this package ships, by name: what `load_provider(name)` and a bare `Catalog()` read.
# A served API names its own file (`ProviderKit.spec_file`); tests/test_architecture.py holds
# the default kits to this index.
PROVIDER_FILES: Mapping[str, str] = {
    "aboutyou": "aboutyou.yaml",
    "zinc": "zinc.yaml",
    "rye": "rye.yaml",
    "kibo-commerce": "kibo-commerce.yaml",
    "kibo-oms": "kibo-oms.yaml",
}
# returnkit's own admin API is described and validated like a provider, but is not one.
SERVER_FILES: Mapping[str, str] = {"admin": "returnkit-admin.yaml"}
SPEC_FILES: Mapping[str, str] = {**PROVIDER_FILES, **SERVER_FILES}
PACKAGE_DIR = Path(__file__).parent
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
JSON_MEDIA_TYPES = ("application/json", "application/json; charset=utf-8")

Kind = Literal["rest", "graphql", "webhook"]
WEBHOOK_PREFIX = "webhook:"


@dataclass(frozen=True)
class Operation:
    """One operation of one provider: an OpenAPI operation or a GraphQL root field."""

    provider: str
    operation_id: str
    aliases: tuple[str, ...]
    kind: Kind
    method: str
    path: str
    request_schema: Mapping[str, Any] | None = None
    request_media_type: str | None = None
    request_example: Any = None
    graphql_type: str | None = None
    extensions: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)  # x-returnkit-*
    request_body_required: bool = False
    # A webhook's declared headers (signature, event name ...), `$ref`s resolved; the server reads a
    # REST operation's parameters from its path item instead.
    header_parameters: tuple[Mapping[str, Any], ...] = field(default=(), hash=False, compare=False)

    @property
    def names(self) -> tuple[str, ...]:
        return (self.operation_id, *self.aliases)


@dataclass(frozen=True)
class ProviderSpec:
    """A provider's parsed OpenAPI document, the operations it serves and the webhooks it sends."""

    provider: str
    document: Mapping[str, Any]
    operations: tuple[Operation, ...]
    graphql_sdl: str | None = None
    webhooks: tuple[Operation, ...] = ()
    _by_name: dict[str, Operation] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        for operation in (*self.operations, *self.webhooks):
            for name in operation.names:
                self._by_name.setdefault(name, operation)

    @property
    def components(self) -> Mapping[str, Any]:
        return self.document.get("components", {})  # type: ignore[no-any-return]

    def operation(self, name: str) -> Operation:
        try:
            return self._by_name[name]
        except KeyError:
            raise UnknownOperation(name, self._by_name) from None


def read_bundled(filename: str) -> str:
    """The text of a file in the bundled `specs/` folder, or of a file anywhere given by its absolute
    path (the spec of a provider kept outside returnkit)."""
    if Path(filename).is_absolute():
        try:
            return Path(filename).read_text(encoding="utf-8")
        except OSError as exc:
            raise SpecError(f"spec {filename} cannot be read: {exc.strerror}") from exc
    try:
        return bundled_text("specs", filename)
    except FileNotFoundError as exc:
        raise SpecError(f"bundled spec {filename!r} is missing from the installed package") from exc


def bundled_text(folder: str, filename: str) -> str:
    """A data file shipped in the package: read from its folder when the package is one (as installed
    from a wheel), else through importlib.resources (a zipped package), which costs more to import."""
    beside = PACKAGE_DIR / folder / filename
    if beside.is_file():
        return beside.read_text(encoding="utf-8")
    import importlib.resources

    return (importlib.resources.files("returnkit") / folder / filename).read_text(encoding="utf-8")


def parse_yaml(text: str) -> Any:
    """The document `text` holds, read with PyYAML's safe loader.

    Reading YAML is the dearest part of a short run (`validate-payload` on one payload, a server's
    start), so a JSON copy of each document read is kept in the user's cache folder (`$RETURNKIT_CACHE_DIR`,
    else `$XDG_CACHE_HOME/returnkit`, else `~/.cache/returnkit`; `RETURNKIT_CACHE_DIR=` keeps none), named by
    the BLAKE2 digest of the text: a changed file is a new name, never a stale copy. A copy is written to a file of
    its own and renamed into place, so processes reading and writing at once see a whole copy or none; it is
    kept only when JSON holds the document exactly. A copy that cannot be read or written is passed over.
    """
    folder = cache_folder()
    if folder is None:
        return _parse_yaml(text)
    path = os.path.join(folder, f"{_digest(text)}.v{CACHE_FORMAT}.json")
    try:
        with open(path, "rb") as cached:
            return orjson.loads(cached.read())
    except (OSError, orjson.JSONDecodeError):
        pass
    document = _parse_yaml(text)
    _keep(document, folder, path)
    return document


CACHE_ENV = "RETURNKIT_CACHE_DIR"
CACHE_FORMAT = 1


def cache_folder() -> str | None:
    """Where parsed YAML is kept, or None when `$RETURNKIT_CACHE_DIR` is set empty."""
    chosen = os.environ.get(CACHE_ENV)
    if chosen is not None:
        return chosen or None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "returnkit")


def _digest(text: str) -> str:
    try:  # hashlib's own BLAKE2, without hashlib's import of OpenSSL (it would cost as much as the parse it saves)
        from _blake2 import blake2b
    except ImportError:  # pragma: no cover - an interpreter built without it
        from hashlib import blake2b
    return blake2b(text.encode("utf-8", "surrogatepass"), digest_size=32).hexdigest()


def _parse_yaml(text: str) -> Any:
    import yaml  # late: a run that finds every document in the cache never imports PyYAML

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader is always used


def _keep(document: Any, folder: str, path: str) -> None:
    try:
        data = orjson.dumps(document)
    except TypeError:
        return  # a key that is not a string, a date, an integer beyond 64 bits: JSON would not give it back
    if orjson.loads(data) != document:
        return
    partial = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        with open(partial, "xb") as written:
            written.write(data)
        os.replace(partial, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.remove(partial)


def load_provider(provider: str, spec_file: str | None = None) -> ProviderSpec:
    """Parse one provider's spec (`spec_file` in the bundled `specs/`, by default the one the
    package ships under that name) and list its operations."""
    if spec_file is None:
        if provider not in SPEC_FILES:
            raise UnknownProvider(provider, PROVIDER_FILES)
        spec_file = SPEC_FILES[provider]
    document = parse_yaml(read_bundled(spec_file))
    if not isinstance(document, dict) or not str(document.get("openapi", "")).startswith("3.1"):
        raise SpecError(f"{spec_file} is not an OpenAPI 3.1 document")
    operations = [*_rest_operations(provider, document), *_graphql_operations(provider, document)]
    sdl = read_bundled(document["x-returnkit-graphql"]["schema"]) if "x-returnkit-graphql" in document else None
    return ProviderSpec(provider, document, tuple(operations), sdl, tuple(_webhook_operations(provider, document)))


def _rest_operations(provider: str, document: Mapping[str, Any]) -> Iterator[Operation]:
    for path, item in document.get("paths", {}).items():
        for method in HTTP_METHODS:
            if method not in item:
                continue
            raw = item[method]
            media_type, schema, example = _json_request_body(raw)
            yield Operation(
                provider=provider,
                operation_id=raw["operationId"],
                aliases=tuple(raw.get("x-returnkit-aliases", ())),
                kind="rest",
                method=method.upper(),
                path=path,
                request_schema=schema,
                request_media_type=media_type,
                request_example=example,
                extensions={key: value for key, value in raw.items() if key.startswith("x-returnkit-")},
                request_body_required=bool(raw.get("requestBody", {}).get("required", False)),
            )


def _webhook_operations(provider: str, document: Mapping[str, Any]) -> Iterator[Operation]:
    """`webhook:<event>` for each event of the spec's `webhooks`: the payload it sends is its request body."""
    for event, item in (document.get("webhooks") or {}).items():
        for method in HTTP_METHODS:
            if method not in item:
                continue
            raw = item[method]
            media_type, schema, example = _json_request_body(raw)
            operation_id = WEBHOOK_PREFIX + event
            aliases = [raw["operationId"]] if raw.get("operationId", operation_id) != operation_id else []
            yield Operation(
                provider=provider,
                operation_id=operation_id,
                aliases=(*aliases, *raw.get("x-returnkit-aliases", ())),
                kind="webhook",
                method=method.upper(),
                path=event,
                request_schema=schema,
                request_media_type=media_type,
                request_example=example,
                extensions={key: value for key, value in raw.items() if key.startswith("x-returnkit-")},
                request_body_required=bool(raw.get("requestBody", {}).get("required", False)),
                header_parameters=tuple(_headers(document, [*item.get("parameters", ()), *raw.get("parameters", ())])),
            )


def _headers(document: Mapping[str, Any], parameters: list[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
    for declared in parameters:
        parameter = _local(document, declared["$ref"]) if "$ref" in declared else declared
        if parameter.get("in") == "header":
            yield parameter


def _local(document: Mapping[str, Any], ref: str) -> Mapping[str, Any]:
    """The value a local `$ref` (`#/components/parameters/Signature`) points at."""
    value: Any = document
    try:
        for part in ref.removeprefix("#/").split("/"):
            value = value[part.replace("~1", "/").replace("~0", "~")]
    except (KeyError, TypeError):
        raise SpecError(f"{ref} points at nothing in the spec") from None
    return value  # type: ignore[no-any-return]


def _json_request_body(raw: Mapping[str, Any]) -> tuple[str | None, Mapping[str, Any] | None, Any]:
    """(media type, schema, first example) of the request body, JSON preferred."""
    content = raw.get("requestBody", {}).get("content", {})
    ranked = sorted(content.items(), key=lambda item: "json" not in item[0])
    for media_type, media in ranked:
        return media_type, media.get("schema"), _first_example(media)
    return None, None, None


def _first_example(media: Mapping[str, Any]) -> Any:
    if "example" in media:
        return media["example"]
    for example in (media.get("examples") or {}).values():
        if isinstance(example, Mapping) and "value" in example:
            return example["value"]
    return None


def _graphql_operations(provider: str, document: Mapping[str, Any]) -> Iterator[Operation]:
    graphql = document.get("x-returnkit-graphql")
    if not graphql:
        return
    (path, _item), *_ = document["paths"].items()
    for raw in graphql["operations"]:
        yield Operation(
            provider=provider,
            operation_id=raw["name"],
            aliases=tuple(raw.get("aliases", ())),
            kind="graphql",
            method="POST",
            path=path,
            graphql_type="Mutation" if raw.get("kind") == "mutation" else "Query",
        )
