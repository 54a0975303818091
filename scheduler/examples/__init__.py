"""Example inputs shipped with hybridsched: workflows, the HEFT paper's instance, a one-file policy.

``hybridsched examples`` lists them and ``hybridsched examples --copy DIR``
copies them into a folder to run and edit (they are found through
:mod:`importlib.resources`, so this works from an installed wheel).
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

#: File name -> what it is (one line). Every file listed here ships in the wheel.
EXAMPLES = {
    "ml-pipeline.yaml": "a 7-task AI pipeline (roofline work in FLOPs and bytes); run it on any preset",
    "topcuoglu2002.json": "the HEFT paper's 10-task, 3-processor cost-matrix example (HEFT makespan 80)",
    "one_file_policy.py": "a policy in one file: --policy one_file_policy.py:Frugal",
}


def path(name: str) -> Path:
    """The installed file of example ``name``."""
    return Path(str(files(__name__))) / name
