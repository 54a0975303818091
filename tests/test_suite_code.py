"""A suite file is data: it runs code the user names only with --allow-code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUITE = """\
name: code
seed: 1
workflows:
  - file: {case}
platforms: [own]
policies:
  - {policy}
"""


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scheduler.cli", *args], capture_output=True, text=True, cwd=cwd)


def test_a_suite_naming_a_file_policy_needs_allow_code(tmp_path):
    marker = tmp_path / "imported"
    policy_file = tmp_path / "mine.py"
    policy_file.write_text(
        "from pathlib import Path\n"
        f"Path({str(marker)!r}).write_text('ran')\n"
        "from scheduler.policies.greedy import GreedyEFT\n"
        "class Mine(GreedyEFT):\n    name = 'mine'\n")
    suite = tmp_path / "suite.yaml"
    suite.write_text(SUITE.format(case=ROOT / "tests" / "data" / "topcuoglu2002.json", policy=f"{policy_file}:Mine"))

    refused = run_cli("run", str(suite), "--check", cwd=tmp_path)
    assert refused.returncode == 2
    assert "policies[0].policy" in refused.stderr and "--allow-code" in refused.stderr
    assert not marker.exists()  # the file was never imported

    allowed = run_cli("run", str(suite), "--check", "--allow-code", cwd=tmp_path)
    assert allowed.returncode == 0, allowed.stderr
    assert marker.read_text() == "ran"
