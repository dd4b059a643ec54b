"""Every read-side command refuses what is not an archive the same way."""

import pytest

from .conftest import usage_error

COMMANDS = [("stats",), ("browse",), ("search", "낱말"), ("show", "1")]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_not_an_archive(tmp_path, command):
    name, *rest = command
    assert "no such directory" in usage_error(name, str(tmp_path / "nothing"), *rest)
    assert "not a newsarc archive" in usage_error(name, str(tmp_path), *rest)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_empty_archive(tmp_path, command):
    name, *rest = command
    (tmp_path / "articles.jsonl").write_text("")
    assert "holds no articles" in usage_error(name, str(tmp_path), *rest)
