"""Workflows: tasks, DAGs, generators and loaders.

A workflow is a :class:`networkx.DiGraph` of :class:`Task` objects wrapped in
:class:`Workflow`; :func:`load_workflow` reads any supported file format.
"""

from workloads.errors import InputError

__all__ = ["InputError", "Task", "Workflow", "load_workflow"]


def __getattr__(name: str):
    # Keep `import workloads` cheap (the CLI imports workloads.errors before parsing its
    # arguments): Workflow pulls in networkx (~90 ms), the loaders yaml and jsonschema.
    if name == "load_workflow":
        from workloads.loaders import load_workflow

        return load_workflow
    if name == "Task":
        from workloads.task import Task

        return Task
    if name == "Workflow":
        from workloads.workflow import Workflow

        return Workflow
    raise AttributeError(name)
