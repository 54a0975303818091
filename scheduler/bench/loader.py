"""Loader area: reading a very large workflow file (issue 17: a 1M-task fan-out in 10 s).

The file is a native-format JSON fan-out, one root feeding ``tasks`` leaves
(about 77 MB for a million), written into a temporary folder. Measured, in
CPU seconds of this process: ``json.loads`` of the text (the floor: no
loader can parse faster), and :func:`workloads.loaders.load_workflow` in
all and in phases (parse with its checks, schema, building the tasks and the
graph), with the cyclic garbage collector paused as the loader pauses it.
"""

from __future__ import annotations

import gc
import json
import tempfile
import time
from pathlib import Path
from typing import Any

#: The goal of issue 17, CPU seconds for 1M tasks.
GOAL_S = 10.0


def fanout_doc(tasks: int) -> dict[str, Any]:
    return {"format": "hybridsched-workflow/1", "name": "fanout",
            "tasks": [{"id": "root", "flops": 1e9}] + [{"id": f"t{i}", "flops": 1e9} for i in range(tasks)],
            "edges": [{"from": "root", "to": f"t{i}"} for i in range(tasks)]}


def fanout_case(tasks: int = 1_000_000) -> dict[str, Any]:
    from workloads.loaders import SCHEMA, load_workflow, workflow_from_spec
    from workloads.schema import check_schema, read_data

    with tempfile.TemporaryDirectory(prefix="hybridsched-bench-loader-") as tmp:
        path = Path(tmp) / "fanout.json"
        path.write_text(json.dumps(fanout_doc(tasks)))
        size = path.stat().st_size
        text = path.read_text()
        t = time.process_time()
        json.loads(text)
        floor = time.process_time() - t
        del text
        t = time.process_time()
        workflow = load_workflow(path)
        total = time.process_time() - t
        loaded = len(workflow.tasks)
        del workflow
        gc.disable()  # as load_workflow does, so that the phases add up to its time
        t = time.process_time()
        data = read_data(path)
        read_s = time.process_time() - t
        t = time.process_time()
        check_schema(data, SCHEMA, source=str(path))
        schema_s = time.process_time() - t
        t = time.process_time()
        workflow_from_spec(data, source=str(path))
        build_s = time.process_time() - t
        gc.enable()
    return {"tasks": loaded, "file_mb": round(size / 2**20, 1), "load_s": total, "json_loads_s": floor,
            "ratio_to_json_loads": total / floor if floor else None, "read_s": read_s, "schema_s": schema_s,
            "build_s": build_s, "goal_s": GOAL_S * tasks / 1_000_000, "meets_goal": total <= GOAL_S * tasks / 1_000_000}
