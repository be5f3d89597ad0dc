"""A real PostgreSQL for the tests: the one `RETURNKIT_TEST_POSTGRES_URL` names, or a throw-away cluster.

The throw-away cluster is made from the binaries on the machine (`initdb`, `pg_ctl`) in a temporary
directory, listens on 127.0.0.1 and a free port, trusts every local connection and is removed at
the end. PostgreSQL refuses to run as root, so as root it runs as the `postgres` user.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

URL_VARIABLE = "RETURNKIT_TEST_POSTGRES_URL"
REQUIRE_VARIABLE = "RETURNKIT_REQUIRE_POSTGRES"
HOW_TO_ENABLE = (
    "no PostgreSQL for the postgres tests: install the server (apt-get install postgresql-15, which gives"
    " /usr/lib/postgresql/15/bin/initdb) or set RETURNKIT_TEST_POSTGRES_URL=postgresql://user@host:port/dbname"
    " (a role that may create databases)"
)
SERVICE_USER = "postgres"
START_TIMEOUT_SECONDS = 30


class PostgresUnavailable(Exception):
    """Neither a URL nor the binaries: why, and how to enable the tests."""


class Postgres(Protocol):
    """What a test sees of its PostgreSQL server."""

    def url(self, dbname: str) -> str: ...

    def create_database(self) -> str:
        """A new, empty database (from `template0`); its URL."""
        ...

    def stop(self) -> None: ...

    def start(self) -> None: ...

    def close(self) -> None: ...


class DatabaseFactory:
    """Creates one empty database per call on the server `admin_url` reaches."""

    def __init__(self, admin_url: str, prefix: str) -> None:
        self._admin_url = admin_url
        self._prefix = prefix
        self._numbers = itertools.count(1)

    def url(self, dbname: str) -> str:
        return urlunsplit(urlsplit(self._admin_url)._replace(path="/" + dbname))

    def create_database(self) -> str:
        dbname = f"{self._prefix}_{next(self._numbers)}"
        with psycopg.connect(self._admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{dbname}"')  # a leftover from an interrupted run
            admin.execute(f'CREATE DATABASE "{dbname}" TEMPLATE template0 STRATEGY file_copy')
        return self.url(dbname)


class ExternalPostgres(DatabaseFactory):
    """A server someone else runs (`RETURNKIT_TEST_POSTGRES_URL`): the databases the tests made are dropped at
    the end, the server is left running."""

    def __init__(self, url: str) -> None:
        super().__init__(url, f"returnkit_test_{os.getpid()}")
        self._created: list[str] = []

    def create_database(self) -> str:
        url = super().create_database()
        self._created.append(urlsplit(url).path.lstrip("/"))
        return url

    def stop(self) -> None:
        pytest.skip(f"{URL_VARIABLE} names a server these tests cannot stop and start; unset it to use a cluster")

    def start(self) -> None:
        self.stop()

    def close(self) -> None:
        with psycopg.connect(self._admin_url, autocommit=True) as admin:
            for dbname in self._created:
                admin.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


class ThrowawayCluster(DatabaseFactory):
    """A PostgreSQL cluster in a temporary directory, started by `start()` and removed by `close()`."""

    def __init__(self, bindir: Path) -> None:
        self._bindir = bindir
        self._root = Path(tempfile.mkdtemp(prefix="returnkit-pg-"))
        self._data = self._root / "data"
        self._socket_dir = self._root / "socket"
        self._socket_dir.mkdir()
        self._as_service_user = os.geteuid() == 0
        if self._as_service_user:
            owner = pwd.getpwnam(SERVICE_USER)
            for path in (self._root, self._socket_dir):
                os.chown(path, owner.pw_uid, owner.pw_gid)
        self.port = free_port()
        super().__init__(f"postgresql://postgres@127.0.0.1:{self.port}/postgres", "returnkit_test")
        try:
            self._run("initdb", "-D", str(self._data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")
            self.start()
        except BaseException:
            shutil.rmtree(self._root, ignore_errors=True)
            raise

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self._socket_dir}"
            # fsync off: a throw-away cluster need not survive the machine crashing, only its server
            # being killed (stop() is an immediate shutdown), so every acknowledged commit is kept.
            " -c fsync=off -c full_page_writes=off -c max_connections=200"
        )
        log = str(self._root / "server.log")
        self._run(
            "pg_ctl", "-D", str(self._data), "-o", options, "-l", log, "-w", "-t", str(START_TIMEOUT_SECONDS), "start"
        )

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self._data), "-m", "immediate", "-w", "stop")

    def close(self) -> None:
        if (self._data / "postmaster.pid").exists():
            self.stop()
        shutil.rmtree(self._root, ignore_errors=True)

    def _run(self, program: str, *args: str) -> None:
        command = [str(self._bindir / program), *args]
        if self._as_service_user:
            command = ["runuser", "-u", SERVICE_USER, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=self._root)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def server_binaries() -> Path | None:
    """The newest installed PostgreSQL's `bin` directory, None when there is none (or, as root, no `postgres` user)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda path: int(Path(path).parts[-3]))
    if not found:
        return None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SERVICE_USER)
        except KeyError:
            return None
    return Path(found[-1]).parent


def provide() -> Postgres:
    """The PostgreSQL the tests use; raises `PostgresUnavailable` when there is none."""
    url = os.environ.get(URL_VARIABLE)
    if url:
        return ExternalPostgres(url)
    return own_cluster()


def own_cluster() -> ThrowawayCluster:
    """A new throw-away cluster (for a test that stops and starts its server)."""
    bindir = server_binaries()
    if bindir is None:
        raise PostgresUnavailable(HOW_TO_ENABLE)
    return ThrowawayCluster(bindir)


def required() -> bool:
    return os.environ.get(REQUIRE_VARIABLE) == "1"
