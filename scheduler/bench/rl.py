"""RL area: steps per second of ``hybridsched/Schedule-v0`` with random actions.

The workload is the issue's: the default ``hybrid-ai`` workflow (14 tasks) on
``hybrid-lab``, random feasible actions drawn the Gymnasium way
(``action_space.sample(mask=info["action_mask"])``), episodes back to back
with ``reset()``. Every episode ends in a real engine run of its plan, so
the floor is that run alone: the same plans executed by
:func:`scheduler.policies.stepwise.run_plan`, timed apart; ``engine share`` is the
part of an episode it takes. Goal: at least 5,000 steps per CPU second.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from scheduler.bench.timing import median, timed

GOAL_STEPS_PER_S = 5_000


def run_case(steps: int = 20_000, repeat: int = 3) -> dict[str, Any]:
    if importlib.util.find_spec("gymnasium") is None:
        return {"available": False, "reason": "gymnasium is not installed (pip install -e '.[rl]')"}
    from scheduler.rl.env import ScheduleEnv
    from scheduler.policies.stepwise import run_plan

    env = ScheduleEnv()  # hybrid-ai on hybrid-lab, the env's defaults
    env.action_space.seed(0)
    plans: list = []

    def play() -> int:
        plans.clear()
        obs, info = env.reset(seed=0)
        for _ in range(steps):
            obs, reward, done, truncated, info = env.step(env.action_space.sample(mask=info["action_mask"]))
            if done:
                plans.append((info["plan"], info["sim_seed"]))
                obs, info = env.reset()
        return len(plans)

    play()  # warm: transpile cache, imports
    cpu, wall, floor = [], [], []
    for _ in range(repeat):
        episodes, c, w = timed(play)
        cpu.append(c)
        wall.append(w)
        _, f, _ = timed(lambda: [run_plan(env.instance, plan, seed) for plan, seed in plans])
        floor.append(f)
    steps_per_s = steps / median(cpu)
    return {"workflow": env.instance.workflow.name, "tasks": env.instance.n_tasks,
            "devices": env.instance.n_devices, "steps": steps, "episodes": episodes,
            "cpu_s": median(cpu), "wall_s": median(wall), "steps_per_cpu_s": steps_per_s,
            "steps_per_wall_s": steps / median(wall), "engine_cpu_s": median(floor),
            "engine_share": median(floor) / median(cpu), "goal_steps_per_s": GOAL_STEPS_PER_S,
            "meets_goal": steps_per_s >= GOAL_STEPS_PER_S}
