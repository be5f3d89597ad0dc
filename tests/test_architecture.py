"""ARCHITECTURE.md tells the truth about the seams it describes: the request path it shows is
the server's one list, and the kits are the one registry of what is served."""

from __future__ import annotations

import re
from pathlib import Path

from returnkit.providers import default_kits, spec_files
from returnkit.server.admin import AdminApi
from returnkit.server.app import create_app, server_state
from returnkit.server.pipeline import REQUEST_PATH
from returnkit.spec import PROVIDER_FILES, SPEC_FILES

ARCHITECTURE = Path(__file__).resolve().parents[1] / "ARCHITECTURE.md"
ROW = re.compile(r"^\|\s*(?P<phase>[^|`]*?)\s*\|\s*`(?P<step>\w+)`\s*\|")


def section(text: str, heading: str) -> str:
    """The text under `heading` up to the next heading of the same or a higher level."""
    level = heading.split(" ", 1)[0]
    start = text.index(f"\n{heading}\n") + len(heading) + 2
    ends = [m.start() for m in re.finditer(rf"\n#{{1,{len(level)}}} ", text[start:])]
    return text[start : start + min(ends, default=len(text) - start)]


def documented_path() -> list[tuple[str, str]]:
    """(phase, step) for each row of the request-path table; a row without a phase continues the last."""
    steps: list[tuple[str, str]] = []
    phase = ""
    for line in section(ARCHITECTURE.read_text(), "### The request path").splitlines():
        row = ROW.match(line)
        if row:
            phase = row["phase"] or phase
            steps.append((phase, row["step"]))
    return steps


def coded_path() -> list[tuple[str, str]]:
    return [(phase, step.__name__) for phase, steps in REQUEST_PATH for step in steps]


def test_the_request_path_architecture_md_shows_is_the_servers_one_list() -> None:
    assert documented_path() == coded_path()


def test_the_request_path_is_shown_once() -> None:
    text = ARCHITECTURE.read_text()
    for _, step in coded_path():
        assert text.count(f"`{step}`") >= 1
    assert text.count("### The request path") == 1
    assert "known_operation ->" not in text  # the old inline restatement of the stages


def test_the_table_reader_sees_a_changed_step() -> None:
    """The check above can fail: a table missing a step, or listing one twice, differs from the code."""
    assert documented_path()[:-1] != coded_path()
    assert [*documented_path(), ("after the answer", "journal")] != coded_path()


def test_the_default_kits_declare_the_bundled_specs_in_order() -> None:
    """`spec.SPEC_FILES` indexes the bundled files for a bare `Catalog()` and `load_provider(name)`;
    what is served is what the kits (and the admin API) declare, and the two agree."""
    assert spec_files(default_kits()) == dict(PROVIDER_FILES)
    assert list(spec_files(default_kits())) == list(PROVIDER_FILES)
    assert SPEC_FILES[AdminApi.name] == AdminApi.spec_file


def test_the_admin_api_is_served_but_is_not_a_kit() -> None:
    server = server_state(create_app())
    assert "admin" in server.apis
    assert "admin" not in server.kits
    assert list(server.apis) == [*server.kits, "admin"]
    assert set(server.catalog.providers) == set(server.apis)
