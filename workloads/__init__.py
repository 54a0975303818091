"""Workflows: tasks, DAGs, generators and loaders.

A workflow is a :class:`networkx.DiGraph` of :class:`Task` objects wrapped in
:class:`Workflow`; :func:`load_workflow` reads any supported file format.
"""

from workloads.errors import InputError
from workloads.task import Task
from workloads.workflow import Workflow

__all__ = ["InputError", "Task", "Workflow", "load_workflow"]


def __getattr__(name: str):
    # Loaders pull in yaml/jsonschema; keep `import workloads` cheap.
    if name == "load_workflow":
        from workloads.loaders import load_workflow

        return load_workflow
    raise AttributeError(name)
