"""Experiments: suites of runs, executed locally or on Dask, with provenance.

>>> from scheduler.experiments import load_suite, run_suite
>>> suite = load_suite("benchmarks/quickstart.yaml")      # doctest: +SKIP
>>> outcome = run_suite(suite, "results/quickstart")      # doctest: +SKIP

Modules: :mod:`~scheduler.experiments.suite` (reading and checking suite
files, run identities and seeds), :mod:`~scheduler.experiments.runs` (one
run), :mod:`~scheduler.experiments.runner` (executors and resume),
:mod:`~scheduler.experiments.results` (tables, summaries, manifest) and
:mod:`~scheduler.experiments.reproduce`.
"""

from scheduler.experiments.runner import run_suite
from scheduler.experiments.suite import RunSpec, Suite, derive_seed, load_suite

__all__ = ["RunSpec", "Suite", "derive_seed", "load_suite", "run_suite"]
