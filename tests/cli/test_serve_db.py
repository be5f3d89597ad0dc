"""`returnkit serve --db LOCATION` (or `RETURNKIT_DB`) as a user starts it: a real process on a free port.

What a user sees: where the world is kept across a restart, which of flag and environment wins,
the one start-up line (backend, location with its password masked, instance), and a database that
cannot be reached refused in one line with exit status 2 and no password anywhere.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from tests.listening import _free_port, returnkit_serve

RETURNKIT = str(Path(sys.executable).parent / "returnkit")
ZINC = {"Authorization": "Bearer zn_test_acme_5d2f8a91c4e7"}
PASSWORD = "s3cret-pw"  # noqa: S105 -- a made-up password the output must never show
START_UP = re.compile(r"returnkit: serving on (\S+) · dashboard (\S+) · store (\w+) \((.*)\) · instance (\S+)")


def start_up_line(logs: Path) -> re.Match[str]:
    (line,) = [line for line in (logs / "stderr.txt").read_text().splitlines() if line.startswith("returnkit:")]
    match = START_UP.fullmatch(line)
    assert match is not None, line
    return match


def file_a_zinc_return(base_url: str) -> dict[str, Any]:
    with httpx.Client(base_url=base_url, headers=ZINC) as zinc:
        order = zinc.get("/orders", params={"status_filter": "order_placed"}).json()["orders"][0]
        item = {"order_item_id": order["items"][0]["id"], "quantity": 1}
        filed = zinc.post("/returns", json={"order_id": order["id"], "items": [item], "reason": "other"})
        assert filed.status_code == 201, filed.text
        created: dict[str, Any] = filed.json()
        return created


def zinc_return_status(base_url: str, return_id: str) -> int:
    return httpx.get(f"{base_url}/returns/{return_id}", headers=ZINC).status_code


def logs_dir(tmp_path: Path, name: str) -> Path:
    logs = tmp_path / name
    logs.mkdir()
    return logs


def test_returnkit_db_keeps_the_world_across_a_restart_as_db_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = tmp_path / "world.sqlite"
    monkeypatch.setenv("RETURNKIT_DB", str(world))
    with returnkit_serve(logs_dir(tmp_path, "first")) as base_url:
        created = file_a_zinc_return(base_url)
    with returnkit_serve(logs_dir(tmp_path, "second")) as base_url:
        answer = httpx.get(f"{base_url}/returns/{created['id']}", headers=ZINC)
        assert (answer.status_code, answer.json()) == (200, created)
    monkeypatch.delenv("RETURNKIT_DB")
    with returnkit_serve(logs_dir(tmp_path, "flag"), "--db", str(world)) as base_url:
        assert zinc_return_status(base_url, created["id"]) == 200


def test_the_db_flag_wins_over_returnkit_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from_env, from_flag = tmp_path / "env.sqlite", tmp_path / "flag.sqlite"
    monkeypatch.setenv("RETURNKIT_DB", str(from_env))
    with returnkit_serve(logs_dir(tmp_path, "both"), "--db", str(from_flag)) as base_url:
        created = file_a_zinc_return(base_url)
    assert start_up_line(tmp_path / "both").group(4) == str(from_flag)
    monkeypatch.setenv("RETURNKIT_DB", str(from_flag))
    with returnkit_serve(logs_dir(tmp_path, "flag-file")) as base_url:
        assert zinc_return_status(base_url, created["id"]) == 200
    monkeypatch.setenv("RETURNKIT_DB", str(from_env))
    with returnkit_serve(logs_dir(tmp_path, "env-file")) as base_url:
        assert zinc_return_status(base_url, created["id"]) == 404


def test_each_start_writes_one_line_with_the_url_the_backend_the_location_and_the_instance(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RETURNKIT_DB", raising=False)
    world = tmp_path / "world.sqlite"
    with returnkit_serve(logs_dir(tmp_path, "file"), "--db", str(world)) as base_url:
        line = start_up_line(tmp_path / "file")
        assert line.groups()[:4] == (base_url, f"{base_url}/__admin/ui/", "sqlite", str(world))
    with returnkit_serve(logs_dir(tmp_path, "memory")):
        again = start_up_line(tmp_path / "memory")
        assert again.groups()[2:4] == ("sqlite", ":memory:")
    assert line.group(5) != again.group(5)  # every start is a new instance


def test_with_port_0_the_start_up_line_names_the_port_it_got(tmp_path: Path) -> None:
    command = [RETURNKIT, "serve", "--port", "0", "--db", str(tmp_path / "world.sqlite")]
    with subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) as server:
        try:
            assert server.stderr is not None
            lines = iter(server.stderr.readline, "")  # ends when the server does
            line = next((line for line in lines if line.startswith("returnkit:")), "")
            match = START_UP.fullmatch(line.strip())
            assert match is not None, line
            assert re.fullmatch(r"http://127\.0\.0\.1:[1-9][0-9]*", match.group(1))
            assert httpx.get(f"{match.group(1)}/orders", headers=ZINC).status_code == 200
            assert httpx.get(match.group(2)).status_code == 200  # the dashboard it names
        finally:
            server.terminate()


def refused_start(*options: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    command = [RETURNKIT, "serve", "--port", "0", *options]
    environment = {**_environment_without_db(), **(env or {})}
    return subprocess.run(command, check=False, capture_output=True, text=True, timeout=60, env=environment)


def _environment_without_db() -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if name != "RETURNKIT_DB"}


def nobody_listens_at() -> tuple[str, str]:
    """A PostgreSQL URL with a password to a loopback port where nothing listens, and the same URL masked."""
    port = _free_port()
    return (
        f"postgresql://bob:{PASSWORD}@127.0.0.1:{port}/mock",
        f"postgresql://bob:***@127.0.0.1:{port}/mock",
    )


@pytest.mark.parametrize("given_by", ["--db", "$RETURNKIT_DB"])
def test_a_postgresql_that_does_not_answer_is_one_line_and_exit_2_without_the_password(given_by: str) -> None:
    url, shown = nobody_listens_at()
    flag = ("--db", url) if given_by == "--db" else ()
    result = refused_start(*flag, env={} if flag else {"RETURNKIT_DB": url})
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"returnkit serve: error: {given_by} {shown}")
    assert PASSWORD not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def with_password(url: str) -> str:
    """`url` with a password: the test cluster trusts local connections, so one it does not ask for is ignored."""
    parts = urlsplit(url)
    if parts.password is not None:
        return url
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:{PASSWORD}@{host}"))


@pytest.mark.postgres
def test_serve_on_postgresql_answers_zinc_and_says_so_without_the_password(tmp_path: Path, postgres_url: str) -> None:
    url = with_password(postgres_url)
    password = urlsplit(url).password or ""
    with returnkit_serve(tmp_path, "--db", url) as base_url:
        assert httpx.get(f"{base_url}/orders", headers=ZINC).status_code == 200
        line = start_up_line(tmp_path)
    assert line.groups()[2:4] == ("postgresql", url.replace(f":{password}@", ":***@"))
    output = (tmp_path / "stdout.txt").read_text() + (tmp_path / "stderr.txt").read_text()
    assert password not in output
