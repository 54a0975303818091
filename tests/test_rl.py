"""The Gymnasium environment (scheduler/rl/env.py) and the learned policy (scheduler/policies/learned.py)."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from scheduler.api import load, simulate
from scheduler.policies.stepwise import DEVICE_FEATURES, TASK_FEATURES, Instance, PlanPolicy
from scheduler.policies.learned import INPUTS, Scorer, greedy_plan
from tests.conftest import ROOT, TOPCUOGLU
from workloads.errors import InputError

gym = pytest.importorskip("gymnasium")

from gymnasium.error import InvalidAction, ResetNeeded  # noqa: E402

from scheduler.rl import ENV_ID  # noqa: E402
from scheduler.rl.env import ScheduleEnv  # noqa: E402


def paper_env(**kwargs) -> ScheduleEnv:
    return ScheduleEnv(str(TOPCUOGLU), platform=None, **kwargs)


def play(env, actions=None, seed=0):
    """Run one episode; ``actions``: a function of (env, info) -> action (default: the mask's first)."""
    obs, info = env.reset(seed=seed)
    total, done, steps = 0.0, False, 0
    while not done:
        action = actions(env, info) if actions else int(np.flatnonzero(info["action_mask"])[0])
        obs, reward, done, truncated, info = env.step(action)
        assert not truncated and env.observation_space.contains(obs)
        total += reward
        steps += 1
    return total, info, steps


def earliest_finish(env, info):
    return env.unwrapped._episode.best()


@pytest.fixture(scope="module")
def hybrid_env():
    return ScheduleEnv()  # the defaults: the hybrid-ai generator on hybrid-lab


# -- the paper's example: hand-checked numbers -----------------------------------------------------

def test_earliest_finish_actions_are_heft_on_the_papers_example():
    # Topcuoglu et al. 2002, Fig. 4: HEFT's schedule of the 10-task example has makespan 80.
    env = paper_env(reward="makespan", normalize=False)
    total, info, steps = play(env, earliest_finish)
    assert steps == 10
    assert info["makespan"] == 80.0 and info["planned_makespan"] == 80.0
    assert total == pytest.approx(-80.0, abs=1e-9)  # the return is minus the run's makespan
    workflow, platform = load(TOPCUOGLU)
    assert info["plan"].device == simulate(workflow, platform, "heft").plan.device


@pytest.mark.parametrize("insertion,policy", [(True, "heft"), (False, "heft-append")])
def test_earliest_finish_actions_are_heft_on_random_dags(insertion, policy):
    from workloads.generators import generate

    for seed in range(3):
        workflow = generate("random-dag", v=40, ccr=2.0, q=4, seed=seed)
        env = ScheduleEnv(workflow, None, insertion=insertion, sim_seed=0)
        _, info, _ = play(env, earliest_finish)
        reference = simulate(workflow, workflow.platform, policy)
        assert info["plan"].device == reference.plan.device and info["plan"].start == reference.plan.start
        assert info["makespan"] == reference.metrics.makespan


def test_normalised_makespan_return_is_minus_slr():
    env = paper_env()
    total, info, _ = play(env, earliest_finish)
    # SLR's denominator here: the longest path by minimum costs, n1 n2 n9 n10: 9 + 13 + 12 + 7 = 41.
    assert env.unwrapped.instance.time_scale == 41.0
    assert total == pytest.approx(-80.0 / 41.0) and info["slr"] == pytest.approx(80.0 / 41.0)


def test_observation_layout_and_padding():
    env = paper_env(max_devices=5)
    obs, info = env.reset(seed=0)
    assert obs.shape == (TASK_FEATURES + 5 * DEVICE_FEATURES,) and obs.dtype == np.float32
    assert info["action_mask"].dtype == np.int8 and info["action_mask"].tolist() == [1, 1, 1, 0, 0]
    assert info["task"] == "n1"  # the entry task, highest upward rank (108.0 in the paper's Table 2)
    rows = obs[TASK_FEATURES:].reshape(5, DEVICE_FEATURES)
    assert (rows[3:] == 0).all() and (rows[:3, 0] == 1).all()
    # Task 1 costs 14, 16, 9 on P1-P3: device features 1 are log1p(w / 41), finish offsets 5/41, 7/41, 0.
    assert rows[:3, 1] == pytest.approx(np.log1p(np.array([14, 16, 9]) / 41), rel=1e-6)
    assert rows[:3, 3] == pytest.approx(np.log1p(np.array([5, 7, 0]) / 41), rel=1e-6)
    assert obs[0] == 0.0 and env.action_space.n == 5


# -- Gymnasium's own checks, seeding, vector envs ------------------------------------------------

def test_check_env_passes():
    import warnings

    from gymnasium.utils.env_checker import check_env

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # its warnings too (unbounded spaces, dtypes, determinism)
        check_env(paper_env(), skip_render_check=True)
        check_env(paper_env(max_devices=6, reward={"makespan": 1, "cost_usd": 1}), skip_render_check=True)


def test_registered_and_made_by_id():
    env = gym.make(ENV_ID, workflow=str(TOPCUOGLU), platform=None)
    total, info, _ = play(env, lambda e, i: e.unwrapped._episode.best())
    assert info["makespan"] == 80.0
    env = gym.make(f"scheduler.rl:{ENV_ID}", workflow="pipeline", platform="h100-node")
    assert env.reset(seed=0)[0].shape == env.observation_space.shape


def random_masked(env, info):
    return env.action_space.sample(mask=info["action_mask"])


def test_same_seed_same_episode():
    def family(rng):
        from workloads.generators import generate

        return generate("random-dag", v=int(rng.integers(8, 20)), seed=int(rng.integers(1000)))

    runs = []
    for _ in range(2):
        env = ScheduleEnv(family, platform=None, max_devices=4)
        env.action_space.seed(3)
        obs, info = env.reset(seed=11)
        trace = [obs]
        done = False
        while not done:
            obs, reward, done, _, info = env.step(random_masked(env, info))
            trace += [obs, reward]
        runs.append((trace, info["makespan"], info["sim_seed"], env.instance.n_tasks))
    (a, ma, sa, na), (b, mb, sb, nb) = runs
    assert na == nb and ma == mb and sa == sb
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    env = ScheduleEnv(family, platform=None, max_devices=4)
    assert env.reset(seed=12)[0].tobytes() != a[0].tobytes() or env.instance.n_tasks != na


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_vector_envs(mode):
    envs = gym.make_vec(ENV_ID, num_envs=2, vectorization_mode=mode, workflow=str(TOPCUOGLU), platform=None)
    try:
        obs, info = envs.reset(seed=5)
        assert obs.shape == (2, TASK_FEATURES + 3 * DEVICE_FEATURES) and info["action_mask"].shape == (2, 3)
        finished = []
        for _ in range(10):  # ten tasks: both envs end on the tenth step
            actions = np.array([int(np.flatnonzero(m)[0]) for m in info["action_mask"]])
            obs, reward, terminated, truncated, info = envs.step(actions)
            if terminated.any():
                finished.append(info["makespan"][terminated])
        assert terminated.all() and len(finished) == 1
        first_device = simulate(*load(TOPCUOGLU), PlanPolicy(_first_device_plan()), seed=0).metrics.makespan
        assert finished[0].tolist() == [first_device, first_device]
    finally:
        envs.close()


def _first_device_plan():
    env = paper_env(sim_seed=0)
    return play(env)[1]["plan"]


# -- the final info is simulate's -------------------------------------------------------------------

def test_final_info_equals_simulate_on_hybrid_ai(hybrid_env):
    env = hybrid_env
    env.action_space.seed(0)
    for seed in (0, 1):
        total, info, steps = play(env, random_masked, seed=seed)
        assert steps == env.instance.n_tasks == 14
        result = simulate(env.instance.workflow, env.instance.platform, PlanPolicy(info["plan"]),
                          seed=info["sim_seed"])
        m = result.metrics
        assert (info["makespan"], info["energy_j"], info["cost_usd"], info["carbon_g"], info["fidelity"]) == \
               (m.makespan, m.energy_j, m.cost_usd, m.carbon_g, m.fidelity_mean)
        assert m.fidelity_mean is not None  # the four circuits ran on the QPU
        assert info["makespan"] > info["planned_makespan"]  # the shared QPU's queue wait came at run time


def test_weighted_return_is_the_runs_weighted_sum(hybrid_env):
    env = ScheduleEnv(hybrid_env.instance.workflow, "hybrid-lab", reward={"makespan": 1.0, "energy_j": 0.001},
                      normalize=False, sim_seed=4)
    env.action_space.seed(1)
    total, info, _ = play(env, random_masked)
    assert info["sim_seed"] == 4
    assert total == pytest.approx(-(info["makespan"] + 0.001 * info["energy_j"]), rel=1e-9)


# -- bad input ------------------------------------------------------------------------------------------

def test_bad_configuration_is_an_input_error():
    with pytest.raises(InputError, match="unknown workflow"):
        ScheduleEnv("no-such-workflow")
    with pytest.raises(InputError, match="no-such-platform"):
        ScheduleEnv("pipeline", platform="no-such-platform")
    with pytest.raises(InputError, match="unknown metric 'speed'"):
        paper_env(reward="speed")
    with pytest.raises(InputError, match="at least 3"):
        paper_env(max_devices=2)
    with pytest.raises(InputError, match="infeasible"):
        paper_env(infeasible="ignore")
    with pytest.raises(InputError, match="needs max_devices"):
        ScheduleEnv(lambda rng: None, platform=None)


def test_bad_actions_and_order_of_calls():
    env = paper_env()
    with pytest.raises(ResetNeeded, match="reset"):
        env.step(0)
    env.reset(seed=0)
    for bad in (3, -1, 1.5, "0", None):
        with pytest.raises(InvalidAction, match="not in the action space"):
            env.step(bad)
    play(env)
    with pytest.raises(ResetNeeded, match="episode has ended"):
        env.step(0)
    env.reset(seed=0)  # and it runs again
    assert env.step(np.int64(0))[4]["remapped"] is False


def test_infeasible_actions_remap_with_a_penalty_or_raise():
    env = ScheduleEnv("hybrid-ai", "hybrid-lab", params={"shards": 1, "epochs": 1, "quantum_circuits": 1},
                      normalize=False, infeasible_penalty=2.5, sim_seed=0)
    _, info = env.reset(seed=0)
    assert info["task"] == "ingest" and info["action_mask"].tolist() == [1, 0, 0]  # ingest runs on the CPU only
    _, reward, _, _, info = env.step(2)
    assert info["remapped"] is True
    assert reward == pytest.approx(-env.instance.W[0, 0] - 2.5)  # it ran on the CPU, and paid the penalty
    strict = paper_env(infeasible="error", max_devices=4)
    strict.reset(seed=0)
    with pytest.raises(InvalidAction, match="cannot run task .n1."):
        strict.step(3)  # a padding slot


# -- the learned policy ------------------------------------------------------------------------------------

def earliest_finish_scorer() -> Scorer:
    """Weights that score a device by minus its finish offset: HEFT's choice, by hand."""
    scorer = Scorer(hidden=1)
    scorer.W1[:] = 0.0
    scorer.W1[TASK_FEATURES + 3, 0] = -1.0  # device feature 3: log1p((finish - best finish) / scale)
    scorer.b1[:] = 0.0
    scorer.w2[:] = 1.0
    return scorer


def test_learned_policy_runs_as_rl_path(tmp_path):
    path = tmp_path / "eft.npz"
    earliest_finish_scorer().save(path, note="hand-made")
    workflow, platform = load(TOPCUOGLU)
    result = simulate(workflow, platform, f"rl:{path}")
    assert result.policy == "rl" and result.metrics.makespan == 80.0  # HEFT's makespan on the paper's example
    assert simulate(workflow, platform, "rl", weights=str(path)).metrics.makespan == 80.0
    loaded = Scorer.load(path)
    assert all(np.array_equal(a, b) for a, b in zip(loaded.params, earliest_finish_scorer().params))


def test_learned_policy_equals_its_env_episode(tmp_path, hybrid_env):
    scorer = Scorer(hidden=4, seed=7)  # any weights: the policy and the episode must agree
    path = tmp_path / "w.npz"
    scorer.save(path)
    env = ScheduleEnv(hybrid_env.instance.workflow, "hybrid-lab", sim_seed=3)
    _, info, _ = play(env, lambda e, i: scorer.act(e.unwrapped._episode.observation(), i["action_mask"]))
    result = simulate(env.instance.workflow, env.instance.platform, f"rl:{path}", seed=3)
    assert result.plan.device == info["plan"].device
    assert (result.metrics.makespan, result.metrics.energy_j) == (info["makespan"], info["energy_j"])


def test_scorer_gradient_matches_finite_differences():
    scorer = Scorer(hidden=3, seed=1)
    rng = np.random.default_rng(2)
    obs = rng.normal(size=TASK_FEATURES + 3 * DEVICE_FEATURES)
    mask = np.array([1, 0, 1], dtype=np.int8)
    grads = scorer.log_prob_grad(obs, mask, 2)

    def log_pi():
        return float(np.log(scorer.probabilities(Scorer.inputs(obs, 3), mask.astype(bool))[0][2]))

    for param, grad in zip(scorer.params, grads):
        flat, gflat = param.reshape(-1), grad.reshape(-1)
        for k in range(0, flat.size, 7):
            old = flat[k]
            flat[k] = old + 1e-6
            up = log_pi()
            flat[k] = old - 1e-6
            down = log_pi()
            flat[k] = old
            assert gflat[k] == pytest.approx((up - down) / 2e-6, abs=1e-6)


def test_bad_weights_files_are_one_line_errors(tmp_path):
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"not a zip")
    wrong = tmp_path / "wrong.npz"
    np.savez(wrong, W1=np.zeros((3, 2)), b1=np.zeros(2), w2=np.zeros(2),
             header=np.array('{"format": "hybridsched-rl-scorer/1", "task_features": 8, "device_features": 12}'))
    workflow, platform = load(TOPCUOGLU)
    for path, message in ((tmp_path / "missing.npz", "no such weights file"), (garbage, "not a hybridsched weights"),
                          (wrong, "wrong shape")):
        with pytest.raises(InputError, match=message) as err:
            simulate(workflow, platform, f"rl:{path}")
        assert str(path) in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(InputError, match="needs weights=PATH"):
        simulate(workflow, platform, "rl")
    out = subprocess.run([sys.executable, "-m", "scheduler.cli", "simulate", str(TOPCUOGLU), "--policy",
                          f"rl:{garbage}"], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 2 and "Traceback" not in out.stderr and str(garbage) in out.stderr
    assert INPUTS == TASK_FEATURES + DEVICE_FEATURES


def test_same_numbers_under_any_hash_seed():
    script = ("import numpy as np; from scheduler.rl.env import ScheduleEnv\n"
              "env = ScheduleEnv('fork-join', 'h100-node', params={'width': 6}); env.action_space.seed(2)\n"
              "obs, info = env.reset(seed=9); done = False; out = []\n"
              "while not done:\n"
              "    obs, r, done, _, info = env.step(env.action_space.sample(mask=info['action_mask'])); out.append(r)\n"
              "print(repr(out), info['makespan'], info['energy_j'], obs.tobytes().hex())\n")
    outputs = set()
    for hash_seed in ("0", "12345"):
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT,
                              env={**os.environ, "PYTHONHASHSEED": hash_seed})
        assert done.returncode == 0, done.stderr
        outputs.add(done.stdout)
    assert len(outputs) == 1


def test_a_suite_compares_a_trained_policy_with_heft_without_allow_code(tmp_path):
    earliest_finish_scorer().save(tmp_path / "eft.npz")
    suite = tmp_path / "suite.yaml"
    suite.write_text(f"name: rl\nseed: 1\nworkflows:\n  - file: {TOPCUOGLU}\nplatforms: [own]\n"
                     "policies:\n  - heft\n  - {policy: 'rl:eft.npz', name: learned}\n")
    done = subprocess.run([sys.executable, "-m", "scheduler.cli", "run", str(suite), "--out", str(tmp_path / "res")],
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    import csv

    rows = list(csv.DictReader((tmp_path / "res" / "results.csv").open()))
    assert sorted((r["policy"], float(r["makespan"])) for r in rows) == [("heft", 80.0), ("learned", 80.0)]


def test_reinforce_learns_to_beat_random_placement():
    from scheduler.rl.train import train
    from workloads.generators import generate

    def family(rng):
        return generate("random-dag", v=int(rng.integers(10, 21)), ccr=1.0, q=3, seed=int(rng.integers(10**6)))

    scorer = train(ScheduleEnv(family, platform=None, max_devices=3), iterations=8, batch=8, seed=0)
    rng = np.random.default_rng(99)
    learned, uniform = [], []
    for k in range(10):
        workflow = family(rng)
        plan = greedy_plan(scorer, Instance.of(workflow, workflow.platform))
        learned.append(simulate(workflow, workflow.platform, PlanPolicy(plan)).metrics.slr)
        uniform.append(simulate(workflow, workflow.platform, "random", seed=k).metrics.slr)
    assert np.mean(learned) < 0.8 * np.mean(uniform)
