"""Plain-text tables of harness results, one per area."""

from __future__ import annotations

from typing import Any


def render_areas(results: dict[str, Any]) -> str:
    meta = results["meta"]
    load = ", ".join(f"{x:.1f}" for x in meta.get("load_average", []))
    out = [f"hybridsched bench{' --quick' if meta['quick'] else ''}: {meta['date_utc']}, Python {meta['python']}, "
           f"{meta['cpus']} CPUs, load average {load or '?'}; {meta['seconds']:.0f} s",
           "Times are CPU seconds of the measuring process (medians) unless marked wall; mem = peak RSS of its child."]
    for area, rows in results["areas"].items():
        if not rows:
            continue
        out += ["", f"== {area}"]
        out += RENDER.get(area, _generic)(rows)
    return "\n".join(out)


def _errors(rows: list[dict[str, Any]]) -> list[str]:
    return [f"  {row['case']} {row.get('args', '')}: {row.get('skipped') or row['error']}"
            for row in rows if "error" in row or "skipped" in row]


def _ok(rows):
    return [r for r in rows if "error" not in r and "skipped" not in r]


def _measured(rows, out: list[str]):
    """The rows that ran and measured; a line in ``out`` for each that could not (a missing extra)."""
    for r in _ok(rows):
        if r.get("available", True):
            yield r
        else:
            out.append(f"  not available: {r['reason']}")


def _startup(rows):
    out = []
    for r in _ok(rows):
        out.append(f"  hybridsched --help {r['help_s']:.3f} s wall (python itself {r['python_startup_s']:.3f} s); "
                   f"classical simulate imports Qiskit: {'YES' if r['qiskit_imported'] else 'no'}")
    return out + _errors(rows)


def _engine(rows):
    out = [f"  {'tasks':>9} {'devices':>7} {'bare SimPy':>10} {'engine':>8} {'simulate':>9} "
           f"{'engine/bare':>11} {'simulate/bare':>13} {'tasks/s':>9} {'equal':>5} {'load file':>9} "
           f"{'(load+sim)/bare':>15} {'mem MB':>7}"]
    for r in _ok(rows):
        if "bare_simpy_s" in r:
            out.append(f"  {r['tasks']:>9,} {r['devices']:>7,} {r['bare_simpy_s']:>10.3f} {r['engine_s']:>8.3f} "
                       f"{r['simulate_s']:>9.3f} {r['engine_ratio']:>11.2f} {r['simulate_ratio']:>13.2f} "
                       f"{r['simulate_tasks_per_s']:>9,.0f} {'yes' if r['makespans_equal'] else 'NO':>5} "
                       f"{r['load_s']:>9.3f} {r['load_simulate_ratio']:>15.2f} {r['peak_rss_mb']:>7,.0f}")
    return out + _errors(rows)


def _command(rows):
    out = [f"  {'tasks':>9} {'devices':>7} {'bare SimPy':>10} {'command':>8} {'command/bare':>12} "
           f"{'wall':>7} {'load':>6} {'plan':>6} {'engine':>6} {'equal':>5} {'mem MB':>7}"]
    for r in _ok(rows):
        out.append(f"  {r['tasks']:>9,} {r['devices']:>7,} {r['bare_simpy_s']:>10.3f} {r['command_s']:>8.3f} "
                   f"{r['command_ratio']:>12.2f} {r['command_wall_s']:>7.2f} {r['load_s']:>6.2f} "
                   f"{r['plan_s']:>6.2f} {r['engine_s']:>6.2f} {'yes' if r['makespans_equal'] else 'NO':>5} "
                   f"{r['command_peak_rss_mb']:>7,.0f}")
    return out + _errors(rows)


def _scale(rows):
    out = []
    for r in _ok(rows):
        out.append(f"  {r['tasks']:,} tasks, {r['edges']:,} edges, {r['devices']:,} devices: built in "
                   f"{r['build_s']:.1f} s wall; simulate {r['simulate_s']:.1f} s ({r['simulate_wall_s']:.1f} s wall, "
                   f"{r['simulate_tasks_per_s']:,.0f} tasks/s); HEFT simulate (plan included) "
                   f"{r['heft_simulate_s']:.1f} s against {r['heft_bare_simpy_s']:.1f} s for bare SimPy "
                   f"replaying its plan ({r['heft_ratio']:.2f}x, makespans equal: {r['makespans_equal']}); "
                   f"completed: {r['completed']}; peak {r['peak_rss_mb']:,.0f} MB")
    return out + _errors(rows)


def _planners(rows):
    out = [f"  {'policy':<8} {'tasks':>8} {'devices':>13} {'measures':>8} {'seconds':>9} {'makespan':>10} "
           f"{'mem MB':>7}"]
    for r in _ok(rows):
        if "policy" in r:
            devices = f"{r['devices']} x {r['cores']}-core" if r.get("cores") else f"{r['devices']}"
            out.append(f"  {r['policy']:<8} {r['tasks']:>8,} {devices:>13} {r['measures']:>8} "
                       f"{r['seconds']:>9.3f} {r['makespan']:>10.4g} {r['peak_rss_mb']:>7,.0f}")
    for r in _ok(rows):
        if "heft_simulate_s" in r:
            out += ["", f"  batch planners on {r['tasks']:,} x {r['devices']}, one process "
                        f"(HEFT's simulate {r['heft_simulate_s']:.2f} s):",
                    f"    {'policy':<10} {'plan s':>7} {'simulate s':>10} {'x HEFT':>7} {'makespan':>10}"]
            for p in r["policies"][1:]:
                out.append(f"    {p['policy']:<10} {p['plan_s']:>7.2f} {p['simulate_s']:>10.2f} "
                           f"{p['simulate_ratio']:>7.2f} {p['makespan']:>10.4g}")
    saga = [r for r in _ok(rows) if "saga_s" in r]
    if saga:
        out += ["", f"  {'SAGA HEFT vs ours':<18} {'tasks':>6} {'devices':>7} {'data':>5} {'SAGA s':>8} {'ours s':>8} "
                    f"{'speedup':>8} {'SAGA makespan':>14} {'ours':>10} {'ours, SAGA ranks':>17} {'equal':>5}"]
        for r in saga:
            out.append(f"  {'':<18} {r['tasks']:>6,} {r['devices']:>7} {'yes' if r['edge_bytes'] else 'no':>5} "
                       f"{r['saga_s']:>8.2f} {r['ours_s']:>8.4f} {r['speedup']:>7.0f}x {r['saga_makespan']:>14.6g} "
                       f"{r['ours_makespan']:>10.6g} {r['ours_with_saga_ranks_makespan']:>17.6g} "
                       f"{'yes' if r['equal'] else 'NO':>5}")
    return out + _errors(rows)


def _quantum(rows):
    out = []
    for r in _measured(rows, out):
        out.append(f"  {r['backend']}: backend load {r['backend_load_s']:.2f} s; per circuit: cold "
                   f"{r['cold_median_s'] * 1e3:.1f} ms (transpile), warm {r['warm_median_us']:.0f} us "
                   f"(max {r['warm_max_us']:.0f}), equal circuit by fingerprint "
                   f"{r['warm_fingerprint_median_us']:.0f} us")
        for c in r["circuits"]:
            out.append(f"    {c['circuit']:<8} {c['qubits']:>3} qubits  cold {c['cold_s'] * 1e3:8.1f} ms  "
                       f"warm {c['warm_us']:6.0f} us  time {c['exec_time_s']:.4g} s  ESP {c['esp']:.3f}")
    return out + _errors(rows)


def _sweeps(rows):
    out = []
    for r in _measured(rows, out):
        out.append(f"  {r['runs']} runs of {r['tasks_per_run']} tasks (wall):")
        for label, e in r["executors"].items():
            if "error" in e:
                out.append(f"    {label:<8} {e['error']}")
            else:
                out.append(f"    {label:<8} {e['runs_per_s']:7.2f} runs/s  ({e['seconds']:.2f} s)  "
                           f"x{e.get('speedup', float('nan')):.2f} of 1 worker")
    return out + _errors(rows)


def _rl(rows):
    out = []
    for r in _measured(rows, out):
        out.append(f"  {r['workflow']} ({r['tasks']} tasks, {r['devices']} devices), random masked actions: "
                   f"{r['steps_per_cpu_s']:,.0f} steps per CPU s ({r['steps_per_wall_s']:,.0f} per wall s), "
                   f"goal {r['goal_steps_per_s']:,}: {'met' if r['meets_goal'] else 'NOT MET'}; "
                   f"the engine runs of the {r['episodes']} finished plans take {r['engine_share']:.0%} of it")
    return out + _errors(rows)


def _qpu_modes(rows):
    out = []
    for r in _measured(rows, out):
        runs = r["runs"]
        if r.get("phase"):
            cache = "an emptied cache" if r["phase"] == "cold" else "the cache the cold case filled"
            out.append(f"  VQE {r['iterations']} iterations, first session simulate of a new process on {cache}: "
                       f"{runs['session']['cold_s']:.2f} s")
        out.append(f"  VQE {r['iterations']} iterations ({r['circuits']} circuits), warm transpile cache:")
        out.append(f"    session, tenants at load 0.9: {r['session_s']:.2f} s (goal < {r['session_goal_s']:g} s); "
                   f"makespan {runs['session']['makespan']:.4g} s, {runs['session']['background_jobs']} "
                   f"background jobs")
        out.append(f"    job mode after a long classical step, tenants at load 0.9: {runs['job_tenants']['seconds']:.2f} s with "
                   f"{r['background_jobs']} background jobs; on the sampled queue {runs['job_sampled']['seconds']:.2f} s; "
                   f"added {r['tenants_added_s']:.2f} s = {r['added_per_100k_s']:.2f} s per 100k jobs "
                   f"(goal < {r['tenants_goal_s']:g} s)")
    return out + _errors(rows)


def _network(rows):
    out = []
    for r in _ok(rows):
        line = (f"  {r['tasks']} tasks, {r['transfers']} transfers, 16 devices: shared links "
                f"{r['simulate_shared_s']:.2f} s vs contention-free {r['simulate_contention_free_s']:.2f} s "
                f"(x{r['shared_over_free']:.2f}); flows replayed in our model {r['flow_replay_s']:.2f} s")
        if "simgrid_total_s" in r:
            line += (f", in SimGrid {r['simgrid_total_s']:.2f} s (build {r['simgrid_build_s']:.2f} + run "
                     f"{r['simgrid_run_s']:.2f}; x{r['simgrid_over_ours_replay']:.2f} ours; finish times within "
                     f"{r['replay_vs_simgrid_max_rel_error']:.1e} relative)")
        out.append(line)
    return out + _errors(rows)


def _generic(rows):
    return [f"  {row}" for row in rows]


def _circuits(rows):
    out = []
    for r in _ok(rows):
        if "phase" in r:
            out.append(f"  {r['phase']:<5} {r['circuits']} circuits ({r['origin']}, {r['qubits_min']}-{r['qubits_max']} "
                       f"qubits): load + transpile + score {r['seconds']:.2f} s ({r['wall_s']:.2f} s wall); "
                       f"backend load apart {r['backend_load_s']:.2f} s; refused {r['refused']}")
        elif "subexperiments" in r:
            out.append(f"  cut a {r['qubits']}-qubit circuit for {r['width']}-qubit devices: {r['seconds']:.2f} s "
                       f"({r['wall_s']:.2f} s wall); {r['cuts']} cuts, subcircuits {r['widths']}, "
                       f"{r['subexperiments']} subexperiments, sampling overhead {r['sampling_overhead']:.4g}")
    return out + _errors(rows)


RENDER = {"startup": _startup, "command": _command, "engine": _engine, "scale": _scale, "planners": _planners,
          "quantum": _quantum, "sweeps": _sweeps, "rl": _rl, "circuits": _circuits,
          "qpu-modes": _qpu_modes, "network": _network}
