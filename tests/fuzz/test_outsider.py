"""Schemathesis as an outsider runs it: the `schemathesis run` CLI against a listening `returnkit serve`.

Every provider spec, Rye's GraphQL endpoint (by introspection) and the admin API get all checks and
all phases (examples, coverage, fuzzing, stateful) with the seeded world's credentials; the run must
end with no failure. The stateful phase follows the specs' OpenAPI links from creates that use real
seeded orders (tests/fuzz/hooks.py); afterwards the journal must show resources created and then
read or acted on by id, which only a followed link can do.

CI runs a bounded budget; `make fuzz` sets RETURNKIT_FUZZ_EXAMPLES far higher.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.listening import returnkit_serve

ROOT = Path(__file__).resolve().parents[2]
CONFIG = Path(__file__).with_name("schemathesis.toml")
SCHEMATHESIS = str(Path(sys.executable).parent / "schemathesis")
EXAMPLES = int(os.environ.get("RETURNKIT_FUZZ_EXAMPLES", "8"))  # per operation and phase
SEED = os.environ.get("RETURNKIT_FUZZ_SEED", "20260302")
RUN_TIMEOUT_SECONDS = float(os.environ.get("RETURNKIT_FUZZ_TIMEOUT", "900"))
Journal = list[dict[str, Any]]


@dataclass(frozen=True)
class Creation:
    """How the journal shows a resource created and then used by id."""

    provider: str
    method: str
    path: str
    status: int
    new_id: Callable[[dict[str, Any]], str]


@dataclass(frozen=True)
class Target:
    name: str
    location: str  # a spec file under specs/, or "graphql" for Rye's endpoint itself
    creation: Creation | None = None

    def schema(self, base_url: str) -> str:
        return f"{base_url}/v1/query" if self.location == "graphql" else str(ROOT / "specs" / self.location)


TARGETS = (
    Target(
        "aboutyou",
        "aboutyou.yaml",
        Creation("aboutyou", "POST", "/api/v1/orders/return", 200, lambda body: body["batchRequestId"]),
    ),
    Target("zinc", "zinc.yaml", Creation("zinc", "POST", "/returns", 201, lambda body: body["id"])),
    Target(
        "kibo-commerce",
        "kibo-commerce.yaml",
        Creation("kibo-commerce", "POST", "/api/commerce/returns", 200, lambda body: body["id"]),
    ),
    Target(
        "kibo-oms",
        "kibo-oms.yaml",
        Creation("kibo-oms", "POST", "/api/v2/return/", 200, lambda body: str(body["returnID"])),
    ),
    Target("rye", "rye.yaml"),
    Target("rye-graphql", "graphql"),
    Target("admin", "returnkit-admin.yaml"),
)


def kibo_token(client: httpx.Client) -> str:
    app = {"client_id": "northwind.returnkit.1.0.0.Release", "client_secret": "kibo_secret_northwind_3c9e71"}
    response = client.post("/api/platform/applications/authtickets/oauth", json=app)
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token


def oms_token(client: httpx.Client) -> str:
    response = client.post(
        "/oauthserver/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=("oms_key_summit_61b0c2", "oms_secret_summit_9e47d3"),
    )
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token


TOKENS: dict[str, Callable[[httpx.Client], str]] = {"kibo-commerce": kibo_token, "kibo-oms": oms_token}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """A fresh `returnkit serve` per target: the admin API's run switches faults on and resets the world."""
    with returnkit_serve(tmp_path, "--clock", "frozen") as base_url:
        yield base_url


def run_schemathesis(target: Target, base_url: str) -> subprocess.CompletedProcess[str]:
    with httpx.Client(base_url=base_url, timeout=10) as client:
        token = TOKENS[target.name](client) if target.name in TOKENS else "no-token-needed"
    extra = ["-H", "Authorization: Basic rye_test_lumen_2d7f91ac"] if target.location == "graphql" else []
    command = [
        SCHEMATHESIS,
        "--config-file",
        str(CONFIG),
        "run",
        target.schema(base_url),
        *(["--url", base_url] if target.location != "graphql" else []),
        *extra,
        "--checks",
        "all",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--max-examples",
        str(EXAMPLES),
        "--seed",
        SEED,
        "--no-color",
    ]
    env = {**os.environ, "RETURNKIT_FUZZ_URL": base_url, "RETURNKIT_FUZZ_TOKEN": token, "COLUMNS": "200"}
    return subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT_SECONDS, check=False
    )


def journal(base_url: str, **filters: str | int) -> Journal:
    with httpx.Client(base_url=base_url, timeout=30) as client:
        response = client.get("/__admin/requests", params={**filters, "limit": 10_000})
    response.raise_for_status()
    entries: Journal = response.json()["requests"]
    return entries


def used_later(entry: dict[str, Any], new_id: str) -> bool:
    """A successful request that names `new_id` in its path, query or body (the create aside)."""
    mentions = f"/{new_id}" in entry["path"] or new_id in (entry.get("query") or "")
    return 200 <= entry["status"] < 300 and (mentions or new_id in repr(entry["request"].get("body")))


def assert_links_followed(base_url: str, creation: Creation) -> tuple[int, int]:
    entries = journal(base_url, provider=creation.provider)
    created = [
        e for e in entries if (e["method"], e["path"], e["status"]) == (creation.method, creation.path, creation.status)
    ]
    assert created, f"no {creation.method} {creation.path} answered {creation.status}: nothing was created"
    new_ids = {creation.new_id(e["response"]["body"]) for e in created}
    followers = [e for e in entries if e not in created and any(used_later(e, new_id) for new_id in new_ids)]
    assert followers, f"nothing used the {len(new_ids)} resources {creation.path} created: no link was followed"
    return len(created), len(followers)


def case_count(output: str) -> int:
    found = re.search(r"(\d+) generated", output)
    assert found, output[-5000:]
    return int(found.group(1))


@pytest.mark.parametrize("target", TARGETS, ids=[t.name for t in TARGETS])
def test_schemathesis_finds_no_failure(target: Target, server: str) -> None:
    result = run_schemathesis(target, server)
    cases = case_count(result.stdout)
    summary = f"{target.name}: {cases} cases, exit {result.returncode}"
    if target.creation is not None:
        created, followers = assert_links_followed(server, target.creation)
        summary += f", {created} created, {followers} later requests used them"
    print(summary)  # shown with -rP: the figures the report quotes
    assert result.returncode == 0, f"{summary}\n{result.stdout[-30_000:]}\n{result.stderr[-5_000:]}"
