"""`validate-payload` loads what validating one operation needs, and `import returnkit` keeps its API.

The providers, the server and their libraries (faker, graphql-core, Connexion, uvicorn) load only
for `--format provider`, which answers in a provider's own format.
"""

from __future__ import annotations

import json
import subprocess
import sys

import returnkit

RUN_AND_LIST_MODULES = """
import io, json, sys
from returnkit.cli.validate_payload import main
payload = io.BytesIO(sys.argv[1].encode())
code = main(["zinc", "create-return", *sys.argv[2:]], stdin=payload, stdout=io.StringIO())
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""
HEAVY = ("faker", "graphql", "connexion", "uvicorn", "returnkit.providers", "returnkit.server", "returnkit.core.store")
ZINC_RETURN = {
    "order_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "items": [{"order_item_id": "0b7c6a54-3a3e-4a57-9d3b-2f1a7c6f9e10", "quantity": 0}],
    "reason": "damagd",
}


def modules_after(payload: object, *options: str) -> tuple[int, set[str]]:
    found = subprocess.run(
        [sys.executable, "-c", RUN_AND_LIST_MODULES, json.dumps(payload), *options],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(found.stdout)
    return result["code"], set(result["modules"])


def loaded(modules: set[str], prefix: str) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for name in modules)


def test_validating_a_payload_loads_no_provider_server_or_their_libraries() -> None:
    code, modules = modules_after(ZINC_RETURN)
    assert code == 1
    assert [prefix for prefix in HEAVY if loaded(modules, prefix)] == []


def test_the_providers_format_loads_the_providers() -> None:
    code, modules = modules_after(ZINC_RETURN, "--format", "provider")
    assert code == 1
    assert loaded(modules, "returnkit.providers")


def test_every_public_name_is_there_on_first_use() -> None:
    for name in returnkit.__all__:
        assert getattr(returnkit, name) is not None, name
    assert set(returnkit.__all__) <= set(dir(returnkit))
    assert returnkit.validate("zinc", "create-return", ZINC_RETURN).error_count == 2
