"""``hybridsched/Schedule-v0``: a Gymnasium environment that places a workflow's tasks.

Each step places the next task (HEFT's upward-rank order) on one device;
the episode ends when every task is placed, and the finished plan is then
run on the engine, so the last ``info`` carries the run's makespan,
energy_j, cost_usd, carbon_g and fidelity exactly as ``hybridsched
simulate`` reports them for the same placement and seed. See docs/rl.md and
:mod:`scheduler.policies.stepwise` for the observation and the timing rule.

Rewards: each step ``-sum_k weight_k * (estimate_k after - before) / scale_k``
over the plan's running estimate of each metric (the engine's formulas on
planned times); the last step adds ``-sum_k weight_k * (run_k - estimate_k) /
scale_k``, so an episode's return is exactly ``-sum_k weight_k * run_k /
scale_k`` of the real run. ``scale_k`` is 1 with ``normalize=False``, else a
reference value of the instance (the critical path's time for makespan:
the return is then minus the run's SLR).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Mapping

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.error import InvalidAction, ResetNeeded

from devices.platform import Platform, load_platform
from scheduler.policies.stepwise import (METRICS, Episode, Instance, final_figures, observation_size,
                                         reward_weights, run_plan)
from workloads.errors import InputError
from workloads.workflow import Workflow

#: Upper bound of the observation's features.
OBS_HIGH = 1000.0
WorkflowSpec = str | Path | Workflow | Callable[[np.random.Generator], Workflow]


def resolve_workflow(spec: WorkflowSpec, params: Mapping[str, Any] | None = None,
                     rng: np.random.Generator | None = None) -> Workflow:
    """A workflow from a file, a generator name (with ``params``), a Workflow, or ``spec(rng)``."""
    if isinstance(spec, Workflow):
        return spec
    if callable(spec):
        workflow = spec(rng if rng is not None else np.random.default_rng(0))
        if not isinstance(workflow, Workflow):
            raise InputError(f"the workflow function returned {type(workflow).__name__}, not a Workflow",
                             item="workflow")
        return workflow
    if isinstance(spec, (str, Path)):
        from workloads.generators import GENERATORS, generate
        from workloads.loaders import load_workflow

        if Path(spec).is_file():
            if params:
                raise InputError("params are for a generator, not a workflow file", source=str(spec), item="params")
            return load_workflow(spec)
        if str(spec) in GENERATORS:
            return generate(str(spec), **dict(params or {}))
        raise InputError(f"unknown workflow: no such file, and no generator of that name (generators: "
                         f"{', '.join(sorted(GENERATORS))})", item=f"workflow {str(spec)!r}")
    raise InputError(f"expected a file, a generator name, a Workflow or a function, got {type(spec).__name__}",
                     item="workflow")


def resolve_platform(spec: str | Path | Platform | None, workflow: Workflow) -> Platform:
    if isinstance(spec, Platform):
        return spec
    if spec is None:
        if workflow.platform is None:
            raise InputError("this workflow carries no platform: give one with platform=FILE|PRESET",
                             source=workflow.source, item="platform")
        return workflow.platform
    return load_platform(spec)


class ScheduleEnv(gym.Env):
    """Place a workflow's tasks on a platform's devices, one per step.

    Args:
        workflow: a workflow file, a generator name (``hybrid-ai``, ``random-dag``, ...;
            ``params`` are its parameters), a :class:`Workflow`, or a function of the
            env's random generator returning a new one each episode (a family).
        platform: a preset name or platform file, a :class:`Platform`, or None for
            the workflow's own (cost-matrix instances and ``random-dag`` carry one).
        reward: a metric of :data:`~scheduler.policies.stepwise.METRICS` or ``{metric: weight}``.
        normalize: divide each metric by the instance's reference value (module docstring).
        infeasible: ``"remap"`` (default): an action naming a device that cannot run
            the task (or a padding slot) places it on the earliest-finish device
            instead, subtracts ``infeasible_penalty`` from the reward and sets
            ``info["remapped"]``; ``"error"``: raise :class:`gymnasium.error.InvalidAction`.
        max_devices: size of the action space and of the observation's device rows
            (default: the platform's device count; needed for a family without a platform).
        sim_seed: the engine's seed for the final run (shared QPUs' queue waits);
            None (default): a new one each episode from the env's random generator.
        insertion: plan with HEFT's idle-gap insertion (default) or append-only.
    """

    metadata = {"render_modes": []}

    def __init__(self, workflow: WorkflowSpec = "hybrid-ai", platform: str | Path | Platform | None = "hybrid-lab",
                 *, params: Mapping[str, Any] | None = None, reward: str | Mapping[str, float] = "makespan",
                 normalize: bool = True, infeasible: str = "remap", infeasible_penalty: float = 0.1,
                 max_devices: int | None = None, sim_seed: int | None = None, insertion: bool = True):
        if infeasible not in ("remap", "error"):
            raise InputError(f"expected 'remap' or 'error', got {infeasible!r}", item="infeasible")
        if sim_seed is not None and (isinstance(sim_seed, bool) or not isinstance(sim_seed, (int, np.integer))
                                     or sim_seed < 0):
            raise InputError(f"expected a non-negative integer or None, got {sim_seed!r}", item="sim_seed")
        self.weights = reward_weights(reward)
        self.normalize = bool(normalize)
        self.infeasible = infeasible
        self.infeasible_penalty = float(infeasible_penalty)
        self.sim_seed = None if sim_seed is None else int(sim_seed)
        self.insertion = insertion
        self._workflow_spec, self._params, self._platform_spec = workflow, params, platform
        self._family = callable(workflow) and not isinstance(workflow, Workflow)
        self._instance: Instance | None = None
        self._platform: Platform | None = None
        if not self._family:
            wf = resolve_workflow(workflow, params)
            self._instance = Instance.of(wf, resolve_platform(platform, wf), insertion=insertion)
            devices = self._instance.n_devices
        elif platform is not None:
            self._platform = resolve_platform(platform, None)  # type: ignore[arg-type]
            devices = len(self._platform.devices)
        elif max_devices is None:
            raise InputError("a workflow family on the workflows' own platforms needs max_devices", item="max_devices")
        else:
            devices = max_devices
        if max_devices is not None and (isinstance(max_devices, bool) or not isinstance(max_devices, (int, np.integer))
                                        or max_devices < devices):
            raise InputError(f"expected an integer of at least {devices} (the platform's devices), "
                             f"got {max_devices!r}", item="max_devices")
        self.max_devices = int(max_devices if max_devices is not None else devices)
        self.action_space = spaces.Discrete(self.max_devices)
        # Every feature is a flag, a fraction or log1p of a non-negative ratio (< 710 for any float).
        self.observation_space = spaces.Box(0.0, OBS_HIGH, (observation_size(self.max_devices),), np.float32)
        self._episode: Episode | None = None
        self._seed_used = 0

    # -- the Gymnasium API --------------------------------------------------------

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        if self._family:
            wf = resolve_workflow(self._workflow_spec, self._params, self.np_random)
            platform = self._platform if self._platform is not None else resolve_platform(None, wf)
            self._instance = Instance.of(wf, platform, insertion=self.insertion)
        self._episode = Episode(self._instance, self.max_devices)
        self._seed_used = (self.sim_seed if self.sim_seed is not None
                           else int(self.np_random.integers(2**31 - 1)))
        self._coef = (self.weights / (self._instance.scales if self.normalize else 1.0)).tolist()
        return self._episode.observation(), self._info(False)

    def step(self, action):
        episode = self._episode
        if episode is None:
            raise ResetNeeded("call reset() before step()")
        if episode.done:
            raise ResetNeeded("the episode has ended (every task is placed): call reset() before step()")
        n = self.max_devices
        # Plain integers in range are in the space; anything else asks the space itself.
        if not (isinstance(action, (int, np.integer)) and 0 <= action < n) and not self.action_space.contains(action):
            raise InvalidAction(f"action {action!r} is not in the action space {self.action_space}")
        p = int(action)
        penalty = 0.0
        remapped = p >= len(episode.mask) or not episode.mask[p]
        if remapped:
            if self.infeasible == "error":
                task = self._instance.problem.tasks[episode.task].id
                raise InvalidAction(f"device {p} cannot run task {task!r}; info['action_mask'] marks the devices "
                                    f"that can (infeasible='remap' maps such actions to the earliest-finish device)")
            p = episode.best()
            penalty = self.infeasible_penalty
        before = episode.estimate()
        episode.place(p)
        after = episode.estimate()
        coef = self._coef
        reward = -sum(c * (a - b) for c, a, b in zip(coef, after, before) if c) - penalty
        info = self._info(remapped)
        if episode.done:
            metrics, plan = run_plan(self._instance, episode.plan, self._seed_used)
            reward -= sum(c * (r - a) for c, r, a in zip(coef, final_figures(metrics), after) if c)
            info.update(makespan=metrics.makespan, energy_j=metrics.energy_j, cost_usd=metrics.cost_usd,
                        carbon_g=metrics.carbon_g, fidelity=metrics.fidelity_mean,
                        fidelity_min=metrics.fidelity_min, slr=metrics.slr, planned_makespan=plan.makespan,
                        sim_seed=self._seed_used, plan=plan)
        return episode.observation(), reward, episode.done, False, info

    # -- helpers ----------------------------------------------------------------------

    def _info(self, remapped: bool) -> dict[str, Any]:
        episode = self._episode
        task = None if episode.done else self._instance.problem.tasks[episode.task].id
        return {"action_mask": episode.mask, "task": task, "remapped": remapped}  # a new array each step

    def action_masks(self) -> np.ndarray:
        """The current action mask as booleans (the hook sb3-contrib's MaskablePPO calls)."""
        if self._episode is None:
            raise ResetNeeded("call reset() before action_masks()")
        return self._episode.mask.astype(bool)

    @property
    def instance(self) -> Instance | None:
        """The current workflow-on-platform instance (its cost rows, order and scales)."""
        return self._instance

    @property
    def metric_names(self) -> tuple[str, ...]:
        return METRICS
