"""`returnkit serve` as a user starts it: who may use the admin API, and start-up mistakes.

Each test runs the real command on a free port and reaches it through 127.0.0.1.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from returnkit.core.store import SQLiteStore
from returnkit.server.state import CLOCK, FORMAT, WORLD_FORMAT
from tests.listening import POLL_INTERVAL_SECONDS, READY_WITHIN_SECONDS, _free_port

RETURNKIT = str(Path(sys.executable).parent / "returnkit")
ZINC = {"Authorization": "Bearer zn_test_acme_5d2f8a91c4e7"}


@dataclass
class Served:
    base_url: str
    stdout: Path

    def banner(self) -> list[str]:
        return self.stdout.read_text().splitlines()


@contextmanager
def serve(tmp_path: Path, *options: str, env: dict[str, str] | None = None) -> Iterator[Served]:
    """`returnkit serve OPTIONS` on a free port, up once it answers anything (a 401 included)."""
    port = _free_port()
    stdout, stderr = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    command = [RETURNKIT, "serve", "--port", str(port), "--clock", "frozen", *options]
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(command, stdout=out, stderr=err, env={**os.environ, **(env or {})})
        try:
            served = Served(f"http://127.0.0.1:{port}", stdout)
            _wait_for(served, process, stderr)
            yield served
        finally:
            process.terminate()
            process.wait(timeout=10)


def _wait_for(served: Served, process: subprocess.Popen[bytes], stderr: Path) -> None:
    deadline = time.monotonic() + READY_WITHIN_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"returnkit serve exited with {process.returncode}:\n{stderr.read_text()}")
        try:
            httpx.get(f"{served.base_url}/__admin/clock", timeout=1.0)
            return
        except httpx.TransportError:
            time.sleep(POLL_INTERVAL_SECONDS)
    pytest.fail(f"returnkit serve did not answer within {READY_WITHIN_SECONDS} s:\n{stderr.read_text()}")


def refused_start(*options: str) -> subprocess.CompletedProcess[str]:
    command = [RETURNKIT, "serve", "--port", "0", *options]
    return subprocess.run(command, check=False, capture_output=True, text=True, timeout=60)


def test_bound_beyond_loopback_the_admin_api_needs_the_printed_token(tmp_path: Path) -> None:
    with serve(tmp_path, "--host", "0.0.0.0") as served:  # noqa: S104 -- the point of the test
        (line,) = [line for line in served.banner() if line.startswith("admin API")]
        token = re.fullmatch(r"admin API: 0\.0\.0\.0 is not loopback, .* Authorization: Bearer (\S+)", line)
        assert token is not None, line
        with httpx.Client(base_url=served.base_url) as client:
            refused = client.get("/__admin/world")
            assert refused.status_code == 401
            assert refused.headers["WWW-Authenticate"].startswith("Bearer")
            assert "Authorization: Bearer" in refused.json()["message"]
            assert client.post("/__admin/reset").status_code == 401
            wrong = client.get("/__admin/world", headers={"Authorization": "Bearer not-the-token"})
            assert (wrong.status_code, wrong.json()) == (401, {"message": "the admin token is not valid"})
            admin = {"Authorization": f"Bearer {token.group(1)}"}
            assert client.get("/__admin/world", headers=admin).status_code == 200
            assert client.post("/__admin/clock/advance", json={"seconds": 1}, headers=admin).status_code == 200
            assert client.get("/returns", headers=ZINC).status_code == 200  # the providers are not affected
            label = client.get("/__admin/labels/zinc/x.pdf", params={"expires": "1", "signature": "0"})
            assert label.status_code == 403  # a label URL is signed: no token, but no label either


def test_a_token_given_is_required_on_loopback_too(tmp_path: Path) -> None:
    with serve(tmp_path, env={"RETURNKIT_ADMIN_TOKEN": "s3cret-token"}) as served:
        assert "admin API: requires Authorization: Bearer <the token given" in served.stdout.read_text()
        assert "s3cret-token" not in served.stdout.read_text()
        assert httpx.get(f"{served.base_url}/__admin/clock").status_code == 401
        answer = httpx.get(f"{served.base_url}/__admin/clock", headers={"Authorization": "Bearer s3cret-token"})
        assert answer.status_code == 200


def test_on_loopback_without_a_token_the_admin_api_is_open_and_a_clamped_clock_is_announced(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite"
    store = SQLiteStore(str(db))  # a world whose clock an older returnkit let run past year 9999
    store.set_meta("world.seeded", 0)
    store.set_meta(FORMAT, WORLD_FORMAT)
    store.set_meta(CLOCK, 2.6e11)
    store.close()
    with serve(tmp_path, "--db", str(db)) as served:
        text = served.stdout.read_text()
        assert "admin API: open (bound to loopback 127.0.0.1;" in text
        assert f"{db}: the stored clock was outside the supported range" in text
        assert httpx.get(f"{served.base_url}/__admin/clock").json()["now"] == "9998-12-31T23:59:59Z"


def a_world_of_an_earlier_format(tmp_path: Path) -> str:
    path = tmp_path / "before-scheduled-changes.sqlite"
    store = SQLiteStore(str(path))  # what returnkit wrote before records kept their pending changes as due rows
    store.set_meta("world.seeded", 0)
    store.put("zinc", "return", "r1", {"id": "r1", "status": "open", "resolves_at": 0.0}, owner="acme")
    store.close()
    return str(path)


def a_directory(tmp_path: Path) -> str:
    return str(tmp_path)


def a_text_file(tmp_path: Path) -> str:
    (tmp_path / "notes.txt").write_text("not a database\n" * 100)
    return str(tmp_path / "notes.txt")


def under_a_file(tmp_path: Path) -> str:
    (tmp_path / "file").write_text("x")
    return str(tmp_path / "file" / "world.sqlite")


def another_apps_database(tmp_path: Path) -> str:
    path = tmp_path / "app.db"
    with sqlite3.connect(path) as other:
        other.execute("CREATE TABLE users (id INTEGER)")
    return str(path)


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (a_directory, "is a directory"),
        (a_text_file, "cannot be used as returnkit's database: file is not a database"),
        (under_a_file, "cannot be opened"),
        (another_apps_database, "is another application's SQLite database (tables: users)"),
        (
            a_world_of_an_earlier_format,
            "holds a world written by an earlier returnkit (world format 1, this one reads 2)",
        ),
    ],
    ids=["directory", "text-file", "unwritable-path", "other-sqlite", "earlier-format"],
)
def test_a_bad_db_is_one_clear_line_and_exit_2(tmp_path: Path, make: Callable[[Path], str], reason: str) -> None:
    path = make(tmp_path)
    result = refused_start("--db", path)
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"returnkit serve: error: --db {path} {reason}")
    if make is another_apps_database:
        with sqlite3.connect(path) as other:  # left as it was: returnkit added nothing
            assert [row[0] for row in other.execute("SELECT name FROM sqlite_master")] == ["users"]
    if make is a_world_of_an_earlier_format:  # nothing was lost: the world is still there to be read
        assert SQLiteStore(path).get("zinc", "return", "r1") == {"id": "r1", "status": "open", "resolves_at": 0.0}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (("--port", "70000"), "argument --port: '70000' is not a port number (0 to 65535)"),
        (("--tls", "/dev/null/certs"), "--tls /dev/null/certs: cannot write the certificates there"),
    ],
    ids=["port", "tls"],
)
def test_other_start_up_mistakes_are_one_line_and_exit_2(options: tuple[str, ...], message: str) -> None:
    result = refused_start(*options)
    assert result.returncode == 2
    assert message in result.stderr.splitlines()[-1]
    assert "Traceback" not in result.stderr
