"""The docs' examples run: every block of getting-started.md (bash and Python, in order, in an
empty folder), every Python block of the other pages; the CLI page lists every command; and,
where mkdocs is installed, the site builds with --strict."""

from __future__ import annotations

import importlib.util
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)


def blocks(page: Path, *languages: str) -> list[tuple[str, str]]:
    return [(lang, body) for lang, body in BLOCK.findall(page.read_text()) if lang in languages]


def run_bash(body: str, cwd: Path) -> None:
    for line in body.splitlines():
        line = line.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        words = shlex.split(line)
        assert words[0] == "hybridsched", f"only hybridsched commands run here: {line}"
        done = subprocess.run([sys.executable, "-m", "scheduler.cli", *words[1:]], cwd=cwd,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"{line}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"


def run_python(body: str, cwd: Path, monkeypatch) -> None:
    monkeypatch.chdir(cwd)
    exec(compile(body, "<docs block>", "exec"), {"__name__": "docs_block"})


@pytest.mark.slow
def test_getting_started_runs_as_written(tmp_path, monkeypatch):
    found = blocks(DOCS / "getting-started.md", "bash", "python")
    assert len(found) >= 5
    for lang, body in found:
        if lang == "bash":
            run_bash(body, tmp_path)
        else:
            run_python(body, tmp_path, monkeypatch)
    assert (tmp_path / "results" / "carbon" / "report.html").is_file()


PAGES = sorted(p for p in DOCS.glob("*.md") if p.name != "getting-started.md") + [ROOT / "README.md"]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_python_blocks_of_every_page_run(page, tmp_path, monkeypatch):
    from scheduler.cli import main

    main(["examples", "--copy", str(tmp_path)])
    for _, body in blocks(page, "python"):
        run_python(body, tmp_path, monkeypatch)


def test_the_cli_page_lists_every_command():
    sys.path.insert(0, str(DOCS))
    try:
        from hooks import cli_reference
    finally:
        sys.path.remove(str(DOCS))
    from scheduler.cli import build_parser

    text = cli_reference()
    commands = build_parser()._subparsers._group_actions[0].choices
    assert {"run", "report", "suites", "examples", "simulate", "bench"} <= set(commands)
    for name in commands:
        assert f"## hybridsched {name}\n" in text


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("mkdocs") is None, reason="mkdocs not installed (the [docs] extra)")
def test_the_site_builds_strict(tmp_path):
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(tmp_path / "site")],
                          cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**__import__("os").environ, "NO_MKDOCS_2_WARNING": "1"})
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "site" / "reference" / "api" / "index.html").stat().st_size > 50_000
