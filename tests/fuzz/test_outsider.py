"""Schemathesis as an outsider runs it: the `schemathesis run` CLI against a listening `returnkit serve`.

Every provider spec, Rye's GraphQL endpoint (by introspection) and the admin API get all checks and
all phases (examples, coverage, fuzzing, stateful) with the seeded world's credentials; the run must
end with no failure. The stateful phase follows the specs' OpenAPI links from creates that use real
seeded orders (tests/fuzz/hooks.py); afterwards the run must show resources created and later
requests that named them by id, which only a followed link can do.

CI runs a bounded budget; `make fuzz` sets RETURNKIT_FUZZ_EXAMPLES far higher.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.listening import returnkit_serve

ROOT = Path(__file__).resolve().parents[2]
CONFIG = Path(__file__).with_name("schemathesis.toml")
SCHEMATHESIS = str(Path(sys.executable).parent / "schemathesis")
EXAMPLES = int(os.environ.get("RETURNKIT_FUZZ_EXAMPLES", "8"))  # per operation and phase
SEED = os.environ.get("RETURNKIT_FUZZ_SEED", "20260302")
RUN_TIMEOUT_SECONDS = float(os.environ.get("RETURNKIT_FUZZ_TIMEOUT", "900"))


@dataclass(frozen=True)
class Target:
    name: str
    location: str  # a spec file under specs/, or "graphql" for Rye's endpoint itself
    creates: bool = False  # it has a create operation whose result the spec's links lead on from

    def schema(self, base_url: str) -> str:
        return f"{base_url}/v1/query" if self.location == "graphql" else str(ROOT / "specs" / self.location)


TARGETS = (
    Target("aboutyou", "aboutyou.yaml", creates=True),
    Target("zinc", "zinc.yaml", creates=True),
    Target("kibo-commerce", "kibo-commerce.yaml", creates=True),
    Target("kibo-oms", "kibo-oms.yaml", creates=True),
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


def run_schemathesis(target: Target, base_url: str, ledger: Path) -> subprocess.CompletedProcess[str]:
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
    env = {
        **os.environ,
        "RETURNKIT_FUZZ_URL": base_url,
        "RETURNKIT_FUZZ_TOKEN": token,
        "RETURNKIT_FUZZ_LEDGER": str(ledger),
        "COLUMNS": "200",
    }
    return subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT_SECONDS, check=False
    )


def case_count(output: str) -> int:
    found = re.search(r"(\d+) generated", output)
    assert found, output[-5000:]
    return int(found.group(1))


@pytest.mark.parametrize("target", TARGETS, ids=[t.name for t in TARGETS])
def test_schemathesis_finds_no_failure(target: Target, server: str, tmp_path: Path) -> None:
    ledger = tmp_path / "links.json"  # written by tests/fuzz/hooks.py after every call
    result = run_schemathesis(target, server, ledger)
    tally = json.loads(ledger.read_text()) if ledger.exists() else {"created": 0, "used": 0}
    summary = f"{target.name}: {case_count(result.stdout)} cases, exit {result.returncode}"
    summary += f", {tally['created']} created, {tally['used']} later requests used them" if target.creates else ""
    print(summary)  # shown with -rP: the figures the report quotes
    if target.creates:
        assert tally["created"] > 0, f"{summary}: nothing was created"
        assert tally["used"] > 0, f"{summary}: no request used what was created, so no link was followed"
    assert result.returncode == 0, f"{summary}\n{result.stdout[-30_000:]}\n{result.stderr[-5_000:]}"
