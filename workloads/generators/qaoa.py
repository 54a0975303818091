"""QAOA for MaxCut: a parameter sweep of circuits with classical pre- and post-processing.

Farhi, Goldstone & Gutmann, "A quantum approximate optimization algorithm",
arXiv:1411.4028 (2014); the grid search over (gamma, beta) before a local
refinement follows Zhou et al., "Quantum approximate optimization algorithm:
performance, mechanism, and implementation on near-term devices", PRX 10,
021067 (2020).

Shape: ``graph`` (CPU: a seeded random ``degree``-regular graph on ``nodes``
vertices) -> ``grid * grid`` sweep circuits ``sweep_i_j`` (``layers`` QAOA
layers each) -> ``cut_i_j`` (CPU: cut value of every sampled bitstring) ->
``select`` (CPU: best angles) -> ``refine`` (one circuit at the best angles
with ``4 * shots``) -> ``solution`` (CPU: best cut found).
"""

from __future__ import annotations

import math

import networkx as nx
import numpy as np

from workloads.errors import InputError
from workloads.generators.hybrid_parts import (FLOAT_BYTES, check_placement, circuit_group, circuit_task,
                                               classical, counts_bytes, positive)
from workloads.workflow import Workflow


def qaoa_maxcut(nodes: int = 10, degree: int = 3, layers: int = 1, grid: int = 4, shots: int = 1000,
                circuits_on: str = "qpu", mode: str = "session", seed: int = 0) -> Workflow:
    """QAOA MaxCut on a random regular graph, swept over a ``grid x grid`` of angles; ``mode``:
    its circuits run on a QPU in one ``session`` (default) or each as a ``job`` (the refinement
    depends on the sweep, so one ``batch`` cannot hold them)."""
    name = "qaoa-maxcut"
    accelerator = check_placement(circuits_on, name)
    task_groups, group = circuit_group(mode, "qaoa", name)
    nodes = positive(nodes, "nodes", name, minimum=2)
    layers = positive(layers, "layers", name)
    grid = positive(grid, "grid", name)
    shots = positive(shots, "shots", name)
    degree = positive(degree, "degree", name)
    seed = positive(seed, "seed", name, minimum=0)
    if degree >= nodes or (nodes * degree) % 2:
        raise InputError(f"no {degree}-regular graph on {nodes} nodes (need degree < nodes and an even "
                         f"nodes * degree)", item=f"generator {name!r}")
    graph = nx.random_regular_graph(degree, nodes, seed=seed)
    edges_g = sorted(tuple(sorted(e)) for e in graph.edges)
    graph_bytes = float(2 * FLOAT_BYTES * len(edges_g))
    tasks = [classical("graph", 1e3 * len(edges_g), graph_bytes, "preprocess", accelerator="cpu")]
    edges = []
    gammas = np.linspace(0, math.pi, grid, endpoint=False) + math.pi / (2 * grid)
    betas = np.linspace(0, math.pi / 2, grid, endpoint=False) + math.pi / (4 * grid)
    result_bytes = counts_bytes(shots, nodes)
    # Cut value of each shot: one pass over the edges per bitstring.
    cut_flops = 2.0 * shots * len(edges_g)
    tasks.append(classical("select", 10.0 * grid * grid, FLOAT_BYTES * grid * grid, "postprocess",
                           accelerator="cpu"))
    for i, gamma in enumerate(gammas):
        for j, beta in enumerate(betas):
            sid, cid = f"sweep_{i}_{j}", f"cut_{i}_{j}"
            circuit = qaoa_circuit(nodes, edges_g, [gamma] * layers, [beta] * layers)
            circuit.name = f"qaoa_{nodes}n_{i}_{j}"
            tasks.append(circuit_task(sid, circuit, shots, "sweep", accelerator, group=group))
            tasks.append(classical(cid, cut_flops, result_bytes + graph_bytes, "postprocess", accelerator="cpu"))
            edges += [("graph", sid, {"data_bytes": graph_bytes}), (sid, cid, {"data_bytes": result_bytes}),
                      ("graph", cid, {"data_bytes": graph_bytes}), (cid, "select", {"data_bytes": 2.0 * FLOAT_BYTES})]
    rng = np.random.default_rng(seed)
    best_gamma, best_beta = gammas[rng.integers(grid)], betas[rng.integers(grid)]
    refine = qaoa_circuit(nodes, edges_g, [best_gamma] * layers, [best_beta] * layers)
    refine.name = f"qaoa_{nodes}n_refine"
    tasks.append(circuit_task("refine", refine, 4 * shots, "refine", accelerator, group=group))
    tasks.append(classical("solution", 4 * cut_flops, 4 * result_bytes, "postprocess", accelerator="cpu"))
    edges += [("select", "refine", {"data_bytes": 2.0 * FLOAT_BYTES * layers}),
              ("refine", "solution", {"data_bytes": 4 * result_bytes}),
              ("graph", "solution", {"data_bytes": graph_bytes})]
    return Workflow.build(f"qaoa-maxcut-{nodes}n-p{layers}-{grid}x{grid}", tasks, edges, groups=task_groups)


def qaoa_circuit(nodes: int, edges: list[tuple[int, int]], gammas: list[float], betas: list[float]):
    """The QAOA MaxCut circuit: |+>^n, then per layer exp(-i gamma C) as RZZ gates and an RX mixer."""
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(nodes)
    qc.h(range(nodes))
    for gamma, beta in zip(gammas, betas):
        for u, v in edges:
            qc.rzz(2 * gamma, u, v)
        qc.rx(2 * beta, range(nodes))
    qc.measure_all()
    return qc
