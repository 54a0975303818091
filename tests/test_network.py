"""Shared links: max-min fair sharing worked by hand, and its place in the engine."""

from __future__ import annotations

import pytest
import simpy

from devices.device import Device
from devices.network import NetLink, Network
from devices.platform import Platform, platform_from_spec, platform_to_spec
from scheduler.api import simulate
from scheduler.network import FlowModel
from workloads.errors import InputError
from workloads.task import Task
from workloads.workflow import Workflow


def run_flows(bandwidths, flows):
    """flows: (start, route, bytes, latency) -> completion times."""
    env = simpy.Environment()
    model = FlowModel(env, bandwidths)
    ends = [None] * len(flows)

    def starter(k, at, route, size, latency):
        def go(_e):
            model.start(route, size, latency, lambda: ends.__setitem__(k, env.now))
        env.timeout(at).callbacks.append(go)

    for k, flow in enumerate(flows):
        starter(k, *flow)
    env.run()
    return ends


def test_two_equal_flows_halve_a_link():
    # 100 B/s link, two 100 B flows: 50 B/s each, both done at 2 s.
    assert run_flows([100], [(0, (0,), 100, 0), (0, (0,), 100, 0)]) == [2, 2]


def test_a_flow_speeds_up_when_the_other_leaves():
    # 100 B and 300 B share 100 B/s: 50 each until the first is done at 2 s (100 B);
    # the second has 200 B left, alone at 100 B/s: done at 2 + 2 = 4 s.
    assert run_flows([100], [(0, (0,), 100, 0), (0, (0,), 300, 0)]) == [2, 4]


def test_max_min_gives_the_unused_share_to_the_other_link():
    # Links L0 = 1 B/s, L1 = 2 B/s. f0 crosses both, f1 only L0, f2 only L1.
    # Filling: L0's fair share 1/2 < L1's 2/2, so f0 = f1 = 0.5; L1 keeps 2 - 0.5 = 1.5 for f2.
    # f0, f1: 1 B at 0.5 -> 2 s. f2: 6 B: 3 B by 2 s, then alone at 2 B/s: 3 / 2 = 1.5 s more -> 3.5 s.
    ends = run_flows([1, 2], [(0, (0, 1), 1, 0), (0, (0,), 1, 0), (0, (1,), 6, 0)])
    assert ends == pytest.approx([2, 2, 3.5], rel=1e-12)


def test_many_routes_and_long_routes_grow_the_class_arrays():
    # 20 one-link routes (more classes than the first arrays hold) and one 6-link route (wider
    # than the first route array): each link 10 B/s carries its own 10 B flow plus, on links 0-5,
    # the long flow. Links 0-5: 5 B/s each for 2 s; the long flow's 10 B also at 5 B/s: 2 s.
    # Links 6-19: alone, 1 s. Classes are freed and reused: a second round at 10 s is the same.
    flows = [(at, (k,), 10, 0) for at in (0, 10) for k in range(20)]
    flows += [(at, (0, 1, 2, 3, 4, 5), 10, 0) for at in (0, 10)]
    ends = run_flows([10] * 20, flows)
    want = [2] * 6 + [1] * 14 + [12] * 6 + [11] * 14 + [2, 12]
    assert ends == pytest.approx(want, rel=1e-12)


def test_latency_phase_uses_no_bandwidth():
    # f0 waits 1 s of latency; meanwhile f1 (100 B, no latency) has the link alone: done at 1 s.
    # f0 then moves 100 B alone: 1 + 1 = 2 s.
    assert run_flows([100], [(0, (0,), 100, 1.0), (0, (0,), 100, 0)]) == [2, 1]


def test_a_late_flow_takes_its_share_from_then_on():
    # f0: 300 B from 0 s alone at 100 B/s; at 1 s (200 B left) f1 (100 B) joins: 50 each.
    # f1 done at 1 + 2 = 3 s; f0 moved 100 more (100 left), alone again: 3 + 1 = 4 s.
    assert run_flows([100], [(0, (0,), 300, 0), (1, (0,), 100, 0)]) == [4, 3]


def test_flows_on_disjoint_links_do_not_interact():
    assert run_flows([10, 10], [(0, (0,), 10, 0), (0, (1,), 20, 0)]) == [1, 2]


def test_zero_bytes_take_the_latency():
    assert run_flows([10], [(0, (0,), 0, 0.25)]) == [0.25]


def test_many_flows_on_a_star_finish_in_size_order():
    # 5 flows of 1..5 B on a 5 B/s link. Flow k ends when all have k B moved... by hand:
    # phase 1: 5 flows at 1 B/s until t=1 (flow 1 done); 4 at 1.25 B/s for 1 B more: t=1.8;
    # 3 at 5/3 for 1 B: t=2.4; 2 at 2.5: t=2.8; 1 at 5: t=3.0 (total 15 B / 5 B/s = 3 s).
    ends = run_flows([5], [(0, (0,), k, 0) for k in range(1, 6)])
    assert ends == pytest.approx([1.0, 1.8, 2.4, 2.8, 3.0], rel=1e-12)


def shared_platform(sharing="max-min", **link):
    gpu0, gpu1, cpu = Device("gpu0"), Device("gpu1"), Device("cpu")
    nic = NetLink("nic", bandwidth=100, latency=0.5, **link)
    pcie0, pcie1 = NetLink("pcie0", bandwidth=1000), NetLink("pcie1", bandwidth=1000)
    routes = {}
    for a, b, links in [("gpu0", "cpu", ("pcie0", "nic")), ("gpu1", "cpu", ("pcie1", "nic"))]:
        routes[a, b] = links
        routes[b, a] = tuple(reversed(links))
    return Platform("shared", [gpu0, gpu1, cpu], network=Network([pcie0, pcie1, nic], routes, sharing))


def fan_in_workflow():
    # a on gpu0 and b on gpu1 (1 s each) each send 100 B to c on the cpu.
    tasks = [Task("a", times={"gpu0": 1}), Task("b", times={"gpu1": 1}), Task("c", times={"cpu": 1})]
    return Workflow.build("fan-in", tasks, [("a", "c", {"data_bytes": 100}), ("b", "c", {"data_bytes": 100})])


def test_engine_shares_the_nic_between_two_transfers():
    # Both transfers start at 1 s, pay 0.5 s latency, then share the 100 B/s NIC (pcie: 1000 B/s):
    # 50 B/s each for 100 B = 2 s: both arrive at 3.5 s; c runs 3.5 -> 4.5.
    result = simulate(fan_in_workflow(), shared_platform(), "heft")
    assert sorted((t.start, t.finish) for t in result.trace.transfers) == [(1, 3.5), (1, 3.5)]
    assert {t.links for t in result.trace.transfers} == {("pcie0", "nic"), ("pcie1", "nic")}
    assert result.metrics.makespan == 4.5


def test_contention_free_mode_keeps_each_transfer_alone():
    # sharing: none: 0.5 s + 100 B / min(1000, 100) B/s = 1.5 s each: arrive at 2.5, c ends at 3.5.
    result = simulate(fan_in_workflow(), shared_platform("none"), "heft")
    assert sorted((t.start, t.finish) for t in result.trace.transfers) == [(1, 2.5), (1, 2.5)]
    assert result.metrics.makespan == 3.5


def test_planners_estimate_a_route_by_its_narrowest_link():
    platform = shared_platform()
    link = platform.link("cpu", "gpu0")
    assert (link.latency, link.bandwidth) == (0.5, 100)


def test_link_energy_idle_and_per_byte():
    # nic: 2 W idle over the 4.5 s makespan = 9 J, plus 0.01 J/B x 200 B = 2 J: 11 J on the nic.
    result = simulate(fan_in_workflow(), shared_platform(idle_w=2, j_per_byte=0.01), "heft")
    links = {m.link: m for m in result.metrics.links}
    assert links["nic"].bytes == 200
    assert links["nic"].energy_j == pytest.approx(11)
    assert links["pcie0"].bytes == 100 and links["pcie0"].energy_j == 0
    assert result.metrics.energy_j == pytest.approx(11)  # the devices draw nothing here


SPEC = {
    "name": "net",
    "devices": [{"name": "gpu", "count": 2}, {"name": "cpu"}],
    "network": {
        "links": [{"name": "pcie", "bandwidth": 1.0e9, "latency": 1.0e-6}, {"name": "nic", "bandwidth": 1.25e8}],
        "routes": [{"between": ["gpu0", "cpu"], "links": ["pcie", "nic"]},
                   {"between": ["gpu1", "cpu"], "links": ["pcie", "nic"], "symmetric": False}],
    },
}


def test_platform_file_network_round_trips():
    platform = platform_from_spec(SPEC, source="net.yaml")
    assert platform.network.routes["cpu", "gpu0"] == ("nic", "pcie")
    assert ("cpu", "gpu1") not in platform.network.routes
    again = platform_from_spec(platform_to_spec(platform), source="again.yaml")
    assert again.network.routes == platform.network.routes
    assert again.network.links == platform.network.links


@pytest.mark.parametrize("change, message", [
    (lambda s: s["network"]["routes"][0].update(links=["pcie", "wan"]), "route through unknown link 'wan'"),
    (lambda s: s["network"]["links"][0].update(bandwidth=0), "bandwidth"),
    (lambda s: s["network"]["links"][1].update(bandwidth=-5), "bandwidth"),
    (lambda s: s["network"]["routes"][0].update(between=["gpu0", "tpu"]), "unknown device 'tpu'"),
])
def test_bad_network_is_one_line_naming_the_item(change, message):
    import copy

    spec = copy.deepcopy(SPEC)
    change(spec)
    with pytest.raises(InputError) as err:
        platform_from_spec(spec, source="net.yaml")
    text = str(err.value)
    assert message in text and "net.yaml" in text and "\n" not in text


def test_perfetto_and_gantt_show_each_link(tmp_path):
    from scheduler.api import write_result
    from scheduler.reports.perfetto import trace_events
    from scheduler.reports.plots import gantt_chart

    write_result(simulate(fan_in_workflow(), shared_platform(), "heft"), tmp_path)
    events = trace_events(tmp_path)["traceEvents"]
    names = {e["args"]["name"] for e in events if e.get("pid") == 4 and e["name"] == "thread_name"}
    assert names == {"pcie0", "pcie1", "nic"}
    nic_tid = next(e["tid"] for e in events if e.get("pid") == 4 and e["name"] == "thread_name"
                   and e["args"]["name"] == "nic")
    nic = [e for e in events if e.get("pid") == 4 and e.get("ph") == "X" and e["tid"] == nic_tid]
    # each of the two transfers moved 100 B in 2.5 s (latency included): 40 B/s, 0.4 of the NIC's 100 B/s
    assert [e["args"]["mean_share"] for e in nic] == pytest.approx([0.4, 0.4])
    counters = [e["args"]["transfers"] for e in events if e.get("ph") == "C" and e["name"] == "nic transfers"]
    assert max(counters) == 2 and counters[-1] == 0
    assert gantt_chart(tmp_path, tmp_path / "gantt.png").stat().st_size > 0


@pytest.mark.parametrize("make", ["tree", "dumbbell"])
def test_component_and_global_recomputation_agree(make, monkeypatch):
    # Large networks recompute only the component a change touches; the numbers must not change.
    import scheduler.network as network_module
    from scheduler.bench import network as cases

    case = cases.CASES[make](30, seed=3)
    everything = cases.ours(case)
    monkeypatch.setattr(network_module, "LOCAL_ABOVE", 0)
    assert cases.ours(case) == pytest.approx(everything, rel=1e-12)


@pytest.mark.parametrize("platform_text, fragments", [
    ("devices: [{name: a}, {name: b}]\nnetwork:\n  links: [{name: l, bandwidth: 0}]\n"
     "  routes: [{between: [a, b], links: [l]}]\n", ["p.yaml", "bandwidth"]),
    ("devices: [{name: a}, {name: b}]\nnetwork:\n  links: [{name: l, bandwidth: 1.0e9}]\n"
     "  routes: [{between: [a, b], links: [l, wan]}]\n", ["p.yaml", "unknown link 'wan'"]),
    ("devices: [{name: a}]\nsite: {carbon_series: s.csv}\n", ["s.csv", "gap in the series"]),
    ("devices: [{name: a, busy_w: 10}]\nsite: {carbon_series: s1.csv}\n", ["s1.csv", "2024-06-01T01:00:00Z"]),
])
def test_cli_refuses_bad_network_and_series_in_one_line(tmp_path, platform_text, fragments):
    from tests.test_bad_input import assert_clear_error, run_cli

    (tmp_path / "s.csv").write_text("timestamp,g\n2024-06-01T00:00:00Z,1\n2024-06-01T03:00:00Z,2\n")
    (tmp_path / "s1.csv").write_text("timestamp,g\n2024-06-01T00:00:00Z,1\n")
    (tmp_path / "p.yaml").write_text(platform_text)
    wf = tmp_path / "w.yaml"
    # a 2-hour task outlasts the one-hour series s1.csv
    wf.write_text("name: w\ntasks:\n  - {id: t, times: {a: 7200}}\n")
    assert_clear_error(run_cli("simulate", str(wf), "--platform", str(tmp_path / "p.yaml")), *fragments)


def test_fault_engine_moves_data_over_shared_links():
    # b is down from 0 to 5 s. The 100 B transfer (0.5 s + 100 B / 100 B/s) runs 1 -> 2.5; when b comes
    # back the fault engine re-plans and re-binds t2, which moves the data again, 5 -> 6.5 (as over a
    # contention-free link: the fault engine's rule, not the network's); t2 runs at 6.5.
    spec = {"devices": [{"name": "a"}, {"name": "b", "downtime": [{"start": 0, "end": 5}]}],
            "network": {"links": [{"name": "l", "bandwidth": 100, "latency": 0.5}],
                        "routes": [{"between": ["a", "b"], "links": ["l"]}]}}
    platform = platform_from_spec(spec, source="f.yaml")
    wf = Workflow.build("w", [Task("t1", times={"a": 1}), Task("t2", times={"b": 1})],
                        [("t1", "t2", {"data_bytes": 100})])
    result = simulate(wf, platform, "heft")
    assert [(t.start, t.finish, t.links) for t in result.trace.transfers] == [(1, 2.5, ("l",)), (5, 6.5, ("l",))]
    assert result.trace.runs()["t2"].start == 6.5
