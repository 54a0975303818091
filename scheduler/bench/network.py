"""Network area: our max-min flow model against SimGrid 4.1 on the same links, routes and flows.

A *case* is plain data: links ``[name, bandwidth B/s, latency s]``, directed
routes ``[src, dst, [link names]]`` and flows ``[start s, src, dst, bytes]``.
:func:`ours` runs it on :class:`scheduler.network.FlowModel`; :func:`simgrid`
runs it on SimGrid's Python API in a child process (SimGrid allows one engine
per process), with SimGrid's CM02 model and no correction factors::

    network/model:CM02  network/latency-factor:1  network/bandwidth-factor:1
    network/weight-S:0  network/TCP-gamma:0  network/crosstraffic:0  network/optim:Full

CM02 weighs a flow by ``1 / its route latency``; every case here gives the
flows that meet on a link the same route latency, where that weighting is
pure max-min (the model of :mod:`scheduler.network`).

``python -m scheduler.bench.network simgrid < case.json`` prints SimGrid's
finish times and its build and run seconds as JSON.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import Any

import numpy as np
import simpy

from scheduler.network import FlowModel

SIMGRID_CONFIG = ["network/model:CM02", "network/latency-factor:1", "network/bandwidth-factor:1",
                  "network/weight-S:0", "network/TCP-gamma:0", "network/crosstraffic:0",
                  # Lazy (CM02's default) lets a link carry more than its bandwidth after flows leave
                  # their latency phase together: see uplink() and docs/network.md.
                  "network/optim:Full"]


def import_simgrid():
    """The simgrid module. Its PyPI build (4.1) installs ``libsimgrid.so.4.1`` beside the
    extension without a run path to it, so a plain import fails to find it: load it first."""
    try:
        import simgrid
    except ImportError as err:
        if "libsimgrid" not in str(err):
            raise
        import ctypes
        import glob
        import sysconfig

        for where in {sysconfig.get_paths()["platlib"], sysconfig.get_paths()["purelib"]}:
            for lib in sorted(glob.glob(f"{where}/libsimgrid.so.*")):
                ctypes.CDLL(lib, mode=ctypes.RTLD_GLOBAL)
        import simgrid
    return simgrid


def have_simgrid() -> bool:
    try:
        import_simgrid()
    except ImportError:
        return False
    return True


def ours(case: dict[str, Any]) -> list[float]:
    """Finish time of each flow under :class:`FlowModel`."""
    env = simpy.Environment()
    index = {name: k for k, (name, _, _) in enumerate(case["links"])}
    latency = [lat for _, _, lat in case["links"]]
    model = FlowModel(env, [bw for _, bw, _ in case["links"]])
    routes = {(s, d): tuple(index[n] for n in names) for s, d, names in case["routes"]}
    finish = [0.0] * len(case["flows"])
    order = sorted(range(len(case["flows"])), key=lambda k: (case["flows"][k][0], k))

    def launcher():
        for k in order:
            start, src, dst, nbytes = case["flows"][k]
            if start > env.now:
                yield env.timeout(start - env.now)
            route = routes[src, dst]
            model.start(route, nbytes, sum(latency[link] for link in route),
                        lambda k=k: finish.__setitem__(k, env.now))

    env.process(launcher())
    env.run()
    return finish


def _simgrid_child(case: dict[str, Any]) -> dict[str, Any]:
    simgrid = import_simgrid()
    from simgrid import ActivitySet, Comm, Engine, LinkInRoute, this_actor

    t0 = time.process_time()  # CPU seconds, as the rest of the harness measures
    config = json.loads(os.environ.get("HYBRIDSCHED_SIMGRID_CONFIG", "null")) or SIMGRID_CONFIG
    engine = Engine(["bench"] + [f"--cfg={c}" for c in config] + ["--log=root.thres:critical"])
    zone = engine.netzone_root
    hosts = {}
    names = sorted({h for _, s, d, _ in case["flows"] for h in (s, d)} | {h for s, d, _ in case["routes"] for h in (s, d)})
    for name in names:
        hosts[name] = zone.add_host(name, 1.0).seal()
    links = {}
    for name, bw, lat in case["links"]:
        links[name] = zone.add_link(name, float(bw)).set_latency(float(lat)).seal()
    for src, dst, route in case["routes"]:
        zone.add_route(hosts[src], hosts[dst], [LinkInRoute(links[n]) for n in route], False)
    zone.seal()
    flows = case["flows"]
    order = sorted(range(len(flows)), key=lambda k: (flows[k][0], k))
    comms: list[Any] = [None] * len(flows)

    def launcher():
        pending = ActivitySet()
        for k in order:
            start, src, dst, nbytes = flows[k]
            if start > Engine.clock:
                this_actor.sleep_until(start)
            comms[k] = Comm.sendto_async(hosts[src], hosts[dst], int(nbytes))
            pending.push(comms[k])
        pending.wait_all()

    hosts[names[0]].add_actor("launcher", launcher)
    t1 = time.process_time()
    engine.run()
    t2 = time.process_time()
    return {"finish": [c.finish_time for c in comms], "build_s": t1 - t0, "run_s": t2 - t1,
            "version": getattr(simgrid, "__version__", "?")}


def simgrid(case: dict[str, Any], timeout: float = 600) -> dict[str, Any]:
    """SimGrid's finish times of ``case`` (and its build and run seconds), from a child process."""
    env = dict(os.environ, HYBRIDSCHED_SIMGRID_CONFIG=json.dumps(SIMGRID_CONFIG))
    done = subprocess.run([sys.executable, "-m", "scheduler.bench.network", "simgrid"], input=json.dumps(case),
                          capture_output=True, text=True, timeout=timeout, check=False, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"simgrid child failed: {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- the validation cases --------------------------------------------------------------


def _flows(rng, pairs, n, *, spread=1.0):
    out = []
    for k in range(n):
        src, dst = pairs[k % len(pairs)]
        out.append([float(rng.uniform(0, spread)), src, dst, int(rng.uniform(5e7, 1e9))])
    return out


def _both_ways(routes):
    return [r for s, d, names in routes for r in ([s, d, names], [d, s, names[::-1]])]


def star(n: int, seed: int = 0) -> dict[str, Any]:
    """8 hosts on one switch, each by its own link (10 us, 1-10 GB/s); flows between random pairs."""
    rng = np.random.default_rng([seed, 1])
    hosts = [f"h{i}" for i in range(8)]
    links = [[f"l{i}", float(rng.choice([1e9, 2.5e9, 1e10])), 1e-5] for i in range(8)]
    routes = _both_ways([[a, b, [f"l{i}", f"l{j}"]] for i, a in enumerate(hosts) for j, b in enumerate(hosts) if i < j])
    pairs = [(hosts[i], hosts[j]) for i, j in (rng.choice(8, 2, replace=False) for _ in range(n))]
    return {"name": f"star-{n}", "links": links, "routes": routes, "flows": _flows(rng, pairs, n)}


def tree(n: int, seed: int = 0) -> dict[str, Any]:
    """Two levels: 4 racks of 4 hosts; host links 1 GB/s, 5 us; rack uplinks 2 GB/s, no latency
    (so every route has 10 us); flows within and across racks."""
    rng = np.random.default_rng([seed, 2])
    hosts = [f"r{r}h{h}" for r in range(4) for h in range(4)]
    links = [[f"host-{x}", 1e9, 5e-6] for x in hosts] + [[f"up{r}", 2e9, 0.0] for r in range(4)]
    routes = []
    for i, a in enumerate(hosts):
        for b in hosts[i + 1:]:
            ra, rb = a[:2], b[:2]
            middle = [] if ra == rb else [f"up{ra[1]}", f"up{rb[1]}"]
            routes.append([a, b, [f"host-{a}", *middle, f"host-{b}"]])
    pairs = [(hosts[i], hosts[j]) for i, j in (rng.choice(16, 2, replace=False) for _ in range(n))]
    return {"name": f"tree-{n}", "links": links, "routes": _both_ways(routes), "flows": _flows(rng, pairs, n)}


def dumbbell(n: int, seed: int = 0) -> dict[str, Any]:
    """Two groups of 4 hosts joined by one 1 GB/s bottleneck (1 ms); access links 10 GB/s, no latency."""
    rng = np.random.default_rng([seed, 3])
    left, right = [f"a{i}" for i in range(4)], [f"b{i}" for i in range(4)]
    links = [[f"acc-{h}", 1e10, 0.0] for h in left + right] + [["bottleneck", 1e9, 1e-3]]
    routes = _both_ways([[a, b, [f"acc-{a}", "bottleneck", f"acc-{b}"]] for a in left for b in right])
    pairs = [(left[int(rng.integers(4))], right[int(rng.integers(4))]) for _ in range(n)]
    pairs = [p if k % 3 else p[::-1] for k, p in enumerate(pairs)]  # both directions share the bottleneck
    return {"name": f"dumbbell-{n}", "links": links, "routes": routes, "flows": _flows(rng, pairs, n)}


def fan_in(n: int, seed: int = 0) -> dict[str, Any]:
    """n senders of different access speeds into one receiver's 2 GB/s NIC (all routes 20 us)."""
    rng = np.random.default_rng([seed, 4])
    senders = [f"s{i}" for i in range(n)]
    links = [[f"acc-{s}", float(rng.choice([2e8, 5e8, 1e9, 4e9])), 1e-5] for s in senders] + [["nic", 2e9, 1e-5]]
    routes = _both_ways([[s, "sink", [f"acc-{s}", "nic"]] for s in senders])
    return {"name": f"fan-in-{n}", "links": links, "routes": routes,
            "flows": _flows(rng, [(s, "sink") for s in senders], n, spread=0.5)}


def fan_out(n: int, seed: int = 0) -> dict[str, Any]:
    """One source's 4 GB/s NIC to n receivers of different access speeds (all routes 20 us)."""
    rng = np.random.default_rng([seed, 5])
    receivers = [f"d{i}" for i in range(n)]
    links = [["nic", 4e9, 1e-5]] + [[f"acc-{d}", float(rng.choice([2e8, 5e8, 1e9, 4e9])), 1e-5] for d in receivers]
    routes = _both_ways([["source", d, ["nic", f"acc-{d}"]] for d in receivers])
    return {"name": f"fan-out-{n}", "links": links, "routes": routes,
            "flows": _flows(rng, [("source", d) for d in receivers], n, spread=0.5)}


def uplink(n: int, seed: int = 0) -> dict[str, Any]:
    """One host's 32 B/s link (1 us) to peers behind their own links (1 us), some of them also behind
    a 12.5 B/s uplink (no latency): every route 2 us. n flows of 100 B start together. Max-min: the
    uplink's flows get 12.5 / k each, the others share what is left of 32. On some draws (seed 0)
    SimGrid 4.1's default Lazy update finishes flows up to 79% off that; network/optim:Full agrees."""
    rng = np.random.default_rng([seed, 6])
    links = [["out", 32.0, 1e-6], ["uplink", 12.5, 0.0]] + [[f"in{i}", 32.0, 1e-6] for i in range(4)]
    routes = _both_ways([["src", f"d{i}", ["out", *(["uplink"] if i >= 2 else []), f"in{i}"]] for i in range(4)])
    flows = [[0.0, "src", f"d{int(rng.integers(4))}", 100] for _ in range(n)]
    return {"name": f"uplink-{n}", "links": links, "routes": routes, "flows": flows}


CASES = {"star": star, "tree": tree, "dumbbell": dumbbell, "fan-in": fan_in, "fan-out": fan_out, "uplink": uplink}


def max_relative_error(a: list[float], b: list[float]) -> float:
    return max((abs(x - y) / max(abs(y), 1e-300) for x, y in zip(a, b)), default=0.0)


if __name__ == "__main__":
    if sys.argv[1:] == ["simgrid"]:
        print(json.dumps(_simgrid_child(json.loads(sys.stdin.read()))))
    else:
        for name, make in CASES.items():
            for n in (2, 10, 50):
                case = make(n)
                theirs = simgrid(case)
                print(f"{case['name']:>14}: max relative error {max_relative_error(ours(case), theirs['finish']):.2e}")


# -- the benchmark: 100k tasks, ~300k transfers, 16 devices on a shared topology ---------------

#: Benchmark assumptions, not hardware descriptions: 4 nodes of 4 GPUs; each GPU's PCIe link
#: (32 GB/s, 1 us) meets its node's switch; each node's NIC (12.5 GB/s = 100 Gb/s, no latency)
#: meets one core switch. Every route crosses two PCIe links, so every route has 2 us of latency
#: (and SimGrid's latency-weighted CM02 is pure max-min on it).
PCIE = (3.2e10, 1.0e-6)
NIC = (1.25e10, 0.0)


def topology16(sharing: str = "max-min"):
    """16 benchmark GPUs (scheduler.bench.instances speeds) on the shared 4 x 4 topology."""
    from scheduler.bench import instances
    from devices.device import GPU
    from devices.network import NetLink, Network
    from devices.platform import Platform

    devices = [GPU(f"g{j}", peak_flops=instances.SPEEDS[j % len(instances.SPEEDS)], mem_bandwidth=1.0e12)
               for j in range(16)]
    links = [NetLink(f"pcie{j}", *PCIE) for j in range(16)] + [NetLink(f"nic{n}", *NIC) for n in range(4)]
    routes = {}
    for a in range(16):
        for b in range(16):
            if a != b:
                middle = () if a // 4 == b // 4 else (f"nic{a // 4}", f"nic{b // 4}")
                routes[f"g{a}", f"g{b}"] = (f"pcie{a}", *middle, f"pcie{b}")
    return Platform(f"topology16-{sharing}", devices, network=Network(links, routes, sharing))


def trace_case(trace, platform) -> dict[str, Any]:
    """The flows of a run's trace as a case: same links, routes, start times and bytes."""
    network = platform.network
    return {"name": "replay", "links": [[k.name, k.bandwidth, k.latency] for k in network.links],
            "routes": [[a, b, list(names)] for (a, b), names in network.routes.items()],
            "flows": [[t.start, t.src_device, t.dst_device, t.data_bytes] for t in trace.transfers]}


def bench_case(tasks: int = 100_000, seed: int = 0, with_simgrid: bool = True) -> dict[str, Any]:
    """Our simulate with shared links against the same run contention-free, and the run's flows
    replayed in our flow model and in SimGrid (when installed), all in this process's one run."""
    import gc

    from scheduler.bench import instances
    from scheduler.bench.timing import timed
    from scheduler.api import simulate

    workflow = instances.workflow(tasks, seed=seed)
    shared, free = topology16("max-min"), topology16("none")
    gc.collect()
    r_free, free_s, _ = timed(lambda: simulate(workflow, free, instances.FixedPlacement(seed=seed), seed=seed))
    r_shared, shared_s, _ = timed(lambda: simulate(workflow, shared, instances.FixedPlacement(seed=seed), seed=seed))
    case = trace_case(r_shared.trace, shared)
    # Equal bytes in SimGrid and here: SimGrid takes whole bytes.
    case["flows"] = [[s, a, b, int(n)] for s, a, b, n in case["flows"]]
    replay, replay_s, _ = timed(lambda: ours(case))
    row: dict[str, Any] = {
        "tasks": tasks, "transfers": len(case["flows"]), "devices": 16,
        "simulate_shared_s": shared_s, "simulate_contention_free_s": free_s,
        "shared_over_free": shared_s / free_s,
        "makespan_shared": r_shared.metrics.makespan, "makespan_free": r_free.metrics.makespan,
        "flow_replay_s": replay_s,
    }
    if with_simgrid and have_simgrid():
        theirs = simgrid(case, timeout=3600)
        row.update(simgrid_build_s=theirs["build_s"], simgrid_run_s=theirs["run_s"],
                   simgrid_total_s=theirs["build_s"] + theirs["run_s"],
                   replay_vs_simgrid_max_rel_error=max_relative_error(replay, theirs["finish"]),
                   simgrid_over_ours_replay=(theirs["build_s"] + theirs["run_s"]) / replay_s,
                   simgrid_over_ours_simulate=(theirs["build_s"] + theirs["run_s"]) / shared_s)
    return row
