"""Layering: ``archive/`` (WARC, index, replay, corpus storage and export) knows no CMS and
no outlet, and never imports the crawler or the command line; what needs both (re-extraction,
the dataset card's outlet text) lives in ``crawler/`` or ``newsarc/cli.py``, and profiles
carry everything outlet-specific."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import NEWSARC, REPO, run

ARCHIVE = REPO / "archive"
MODULES = sorted(ARCHIVE.glob("*.py"))
FORBIDDEN_PACKAGES = ("crawler", "newsarc")
# Literals that only the CMS or one outlet explains: the article path, the bundled profile,
# the outlet's name.
CMS_LITERALS = ("article.html", "newmediatimes", "뉴미디어타임즈")
# The record's contract describes a mediaOn article's canonical URL in prose (its column
# table, as archive/schemas/article-v1.json does): text about the record, not a rule.
CONTRACT_TEXT = {"schema.py": {"article.html"}}


def _imported(tree: ast.AST) -> list[tuple[int, str]]:
    """Every module a file imports, at any depth (a function's lazy import included), and
    every ``importlib.import_module`` / ``__import__`` of a literal name."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
        elif (isinstance(node, ast.Call) and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
              and ((isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
                   or (isinstance(node.func, ast.Name) and node.func.id == "__import__"))):
            found.append((node.lineno, node.args[0].value))
    return found


def test_archive_has_modules_to_check():
    assert len(MODULES) > 10 and ARCHIVE / "warc.py" in MODULES


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_archive_imports_nothing_of_the_crawler_or_the_cli(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    wrong = [f"{path.name}:{line}: imports {name}" for line, name in _imported(tree)
             if name.split(".")[0] in FORBIDDEN_PACKAGES]
    assert not wrong, wrong


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_archive_holds_no_cms_literals(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    allowed = CONTRACT_TEXT.get(path.name, set())
    wrong = [f"{path.name}:{node.lineno}: {literal!r}" for node in ast.walk(tree)
             if isinstance(node, ast.Constant) and isinstance(node.value, str)
             for literal in CMS_LITERALS
             if literal in node.value and literal not in allowed]
    assert not wrong, wrong


def test_importing_all_of_archive_loads_no_crawler_module():
    """What the source says, checked where it counts: nothing loads crawler/ or newsarc/
    behind archive/'s back (a re-export, a plugin)."""
    names = [f"archive.{p.stem}" for p in MODULES if p.stem != "__init__"]
    code = (f"import importlib, sys\nfor name in {names!r}:\n    importlib.import_module(name)\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'crawler', 'newsarc'}))")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    assert result.stdout.decode().strip() == "[]"


def test_reextraction_lives_beside_the_extractor():
    assert not (ARCHIVE / "reextract.py").exists()
    from crawler.reextract import Report, reextract, write_reextracted  # noqa: F401


def test_version_prints_the_installed_distribution():
    from importlib.metadata import version

    result = run(NEWSARC, "--version")
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode() == f"newsarc {version('newsarc')}\n"


def test_one_default_profile_and_one_tuple_of_modes_and_formats():
    """The command line offers what the spider runs and the export writes, and defaults to
    the one default profile."""
    from archive.export import check_target
    from archive.formats import FORMATS
    from crawler.modes import MODES
    from crawler.profile import DEFAULT_PROFILE, load_profile
    from newsarc.cli import _parser

    parser = _parser()
    commands = parser._subparsers._group_actions[0].choices  # noqa: SLF001
    option = {a.dest: a for a in commands["crawl"]._actions}  # noqa: SLF001
    assert tuple(option["mode"].choices) == MODES and option["profile"].default == DEFAULT_PROFILE
    export = {a.dest: a for a in commands["export"]._actions}  # noqa: SLF001
    assert tuple(export["format"].choices) == FORMATS
    assert load_profile(DEFAULT_PROFILE).key == DEFAULT_PROFILE
    with pytest.raises(ValueError, match="formats: parquet, csv, jsonl"):
        check_target(Path("/nonexistent"), "xml", Path("/tmp/x.xml"), False)


# --- one write-then-rename helper, one run table ----------------------------------------

def test_staged_writes_every_target_or_none(tmp_path):
    from archive.safeio import staged

    first, second = tmp_path / "a.parquet", tmp_path / "README.md"
    second.write_text("old card")
    with pytest.raises(OSError, match="disk full"), staged([first, second]) as temps:
        temps[0].write_bytes(b"rows")
        raise OSError("disk full")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.md"]
    assert second.read_text() == "old card"
    with staged([first, second]) as (rows, card):
        rows.write_bytes(b"rows")
        card.write_text("new card")
    assert first.read_bytes() == b"rows" and second.read_text() == "new card"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.md", "a.parquet"]


def test_staged_never_replaces_a_link_inside_an_archive(tmp_path):
    from archive.safeio import SymlinkRefused, atomic_write

    outside = tmp_path / "outside.txt"
    outside.write_text("theirs")
    archive = tmp_path / "archive"
    archive.mkdir()
    (archive / "corpus.jsonl").symlink_to(outside)
    with pytest.raises(SymlinkRefused):
        atomic_write(archive / "corpus.jsonl", "ours", root=archive)
    assert outside.read_text() == "theirs" and [p.name for p in archive.iterdir()] == [
        "corpus.jsonl"]


def test_one_run_table_for_terminal_and_markdown():
    from archive.runtable import format_runs, run_summary

    runs = [run_summary({"run_id": 1, "mode": "full", "status": "finished",
                         "started_at": "2026-12-01T00:00:00+00:00", "finished_at": None,
                         "stats": {"articles_new": 60, "seconds": 1.25}}),
            run_summary({"run_id": 12, "mode": "incremental@w1", "status": "running",
                         "started_at": "2026-12-02T00:00:00+00:00", "finished_at": None,
                         "stats": {}})]
    text = format_runs(runs)
    assert text[0].split()[:3] == ["run", "mode", "status"]
    assert text[1].split() == ["1", "full", "finished", "2026-12-01T00:00:00+00:00", "60",
                               "-", "-", "-", "-", "1.2"]
    assert text[2].split()[:3] == ["12", "incremental@w1", "running"]
    assert len({len(line) for line in text[:2]}) == 1, "aligned"
    markdown = format_runs(runs, markdown=True)
    assert markdown[0].startswith("| run | mode | status |") and markdown[1].startswith("| ---: |")
    assert markdown[2].startswith("| 1 | full | finished |")
