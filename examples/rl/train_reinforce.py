"""Train a placement policy on a family of random DAGs and compare it with HEFT, greedy EFT and random.

    python examples/rl/train_reinforce.py                 # trains, saves rl-scorer.npz, prints a table
    hybridsched simulate WORKFLOW --policy rl:rl-scorer.npz  # the trained policy as any other

The family: Topcuoglu et al.'s random DAGs (``random-dag``) of 20-60 tasks on
their own 4 heterogeneous processors, with CCR, shape and heterogeneity
drawn per episode. Training runs through the Gymnasium env
(``hybridsched/Schedule-v0``, reward: minus the run's SLR) with REINFORCE and
a greedy-rollout baseline (scheduler/rl/train.py); the table then runs every
policy through ``scheduler.api.simulate`` on 100 held-out workflows.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from scheduler.api import simulate
from scheduler.rl.env import ScheduleEnv
from scheduler.rl.train import train
from workloads.generators import generate


def family(rng: np.random.Generator):
    """One random DAG of the family, drawn from ``rng``."""
    return generate("random-dag", v=int(rng.integers(20, 61)), ccr=float(rng.choice([0.1, 0.5, 1.0, 2.0, 5.0])),
                    alpha=float(rng.choice([0.5, 1.0, 2.0])), beta=float(rng.choice([0.25, 0.5, 1.0, 1.5])),
                    q=4, seed=int(rng.integers(2**31 - 1)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iterations", type=int, default=40)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--test", type=int, default=100, help="held-out workflows to compare on")
    parser.add_argument("--out", default="rl-scorer.npz")
    args = parser.parse_args()

    env = ScheduleEnv(family, platform=None, max_devices=4)
    started = time.process_time()
    scorer = train(env, iterations=args.iterations, batch=args.batch, log=print)
    trained_s = time.process_time() - started
    scorer.save(args.out, trained_on="random-dag family (examples/rl/train_reinforce.py)",
                iterations=args.iterations, batch=args.batch)
    print(f"trained in {trained_s:.1f} CPU s ({args.iterations * args.batch * 2} episodes); saved {args.out}")

    rng = np.random.default_rng(12345)  # held out: training draws from seed 0's stream
    policies = {"rl": f"rl:{args.out}", "heft": "heft", "greedy-eft": "greedy-eft", "random": "random"}
    slr = {name: [] for name in policies}
    for k in range(args.test):
        workflow = family(rng)
        for name, policy in policies.items():
            slr[name].append(simulate(workflow, workflow.platform, policy, seed=k).metrics.slr)
    print(f"\nmean SLR over {args.test} held-out random DAGs (lower is better; 1 is the critical path):")
    base = np.array(slr["greedy-eft"])
    for name, values in slr.items():
        v = np.array(values)
        print(f"  {name:<11} {v.mean():7.4f}   better than greedy-eft on {np.mean(v < base - 1e-9):5.0%}, "
              f"worse on {np.mean(v > base + 1e-9):5.0%}")


if __name__ == "__main__":
    main()
