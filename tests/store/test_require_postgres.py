"""Where PostgreSQL is required (CI), a postgres test that skips makes the session fail."""

from __future__ import annotations

import pytest

from tests.conftest import PostgresSkips

pytest_plugins = ["pytester"]

SKIPPING = """
import pytest

@pytest.mark.postgres
def test_needs_postgres():
    pytest.skip("no PostgreSQL here")

def test_other():
    pass
"""


@pytest.mark.parametrize(("required", "exit_code"), [("1", pytest.ExitCode.TESTS_FAILED), ("", pytest.ExitCode.OK)])
def test_a_skipped_postgres_test_fails_a_session_that_requires_postgres(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, required: str, exit_code: pytest.ExitCode
) -> None:
    monkeypatch.setenv("RETURNKIT_REQUIRE_POSTGRES", required)
    pytester.makeini("[pytest]\nmarkers =\n    postgres: needs PostgreSQL\n")
    pytester.makepyfile(SKIPPING)
    result = pytester.runpytest(plugins=[PostgresSkips()])
    result.assert_outcomes(passed=1, skipped=1)
    assert result.ret == exit_code
    told = "RETURNKIT_REQUIRE_POSTGRES=1, yet 1 postgres test(s) were skipped"
    assert any(told in line for line in result.outlines) == bool(required)
