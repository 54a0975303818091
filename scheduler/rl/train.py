"""REINFORCE for :class:`~scheduler.policies.learned.Scorer` on a ``hybridsched/Schedule-v0`` env.

R. J. Williams, "Simple statistical gradient-following algorithms for
connectionist reinforcement learning", Machine Learning 8:229-256, 1992,
with the greedy-rollout baseline of W. Kool, H. van Hoof and M. Welling,
"Attention, learn to solve routing problems!", ICLR 2019: each sampled
episode is compared with the current policy's greedy episode on the same
instance (same env seed, so the same workflow and queue draws), which
removes most of the variance between instances of a family. Adam steps
(Kingma & Ba, ICLR 2015). Numpy only; a few thousand episodes train in
tens of seconds on two cores.
"""

from __future__ import annotations

import time
from typing import Callable

import numpy as np

from scheduler.policies.learned import Scorer


def rollout(env, scorer: Scorer, seed: int, rng: np.random.Generator | None = None):
    """One episode from ``env.reset(seed=seed)``: greedy, or sampled with ``rng``.
    Returns ``(return, [(obs, mask, action), ...], final info)``."""
    obs, info = env.reset(seed=seed)
    total, steps, done = 0.0, [], False
    while not done:
        mask = info["action_mask"]
        action = scorer.act(obs, mask, rng)
        steps.append((obs, mask, action))
        obs, reward, done, _, info = env.step(action)
        total += reward
    return total, steps, info


def train(env, *, iterations: int = 40, batch: int = 16, lr: float = 0.01, hidden: int = 16, seed: int = 0,
          log: Callable[[str], None] | None = None) -> Scorer:
    """Train a :class:`Scorer` on ``env`` (a ``ScheduleEnv``, e.g. over a workflow family)."""
    rng = np.random.default_rng(seed)
    scorer = Scorer(hidden=hidden, seed=seed)
    m = [np.zeros_like(p) for p in scorer.params]
    v = [np.zeros_like(p) for p in scorer.params]
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    started = time.process_time()
    for it in range(1, iterations + 1):
        grads = [np.zeros_like(p) for p in scorer.params]
        advantages, returns = [], []
        trajectories = []
        for _ in range(batch):
            s = int(rng.integers(2**31 - 1))
            greedy, _, _ = rollout(env, scorer, s)
            sampled, steps, _ = rollout(env, scorer, s, rng)
            advantages.append(sampled - greedy)
            returns.append(greedy)
            trajectories.append(steps)
        adv = np.array(advantages)
        scale = adv.std()
        if scale > 0:
            for a, steps in zip(adv / scale, trajectories):
                if a == 0:
                    continue
                for obs, mask, action in steps:
                    for g, d in zip(grads, scorer.log_prob_grad(obs, mask, action)):
                        g += a * d
            for k, (p, g) in enumerate(zip(scorer.params, grads)):
                g /= batch  # gradient ascent on E[A * log pi]
                m[k] = beta1 * m[k] + (1 - beta1) * g
                v[k] = beta2 * v[k] + (1 - beta2) * g * g
                p += lr * (m[k] / (1 - beta1**it)) / (np.sqrt(v[k] / (1 - beta2**it)) + eps)
        if log is not None:
            log(f"iteration {it:3d}: mean greedy return {np.mean(returns):9.4f}, "
                f"mean advantage of samples {adv.mean():8.4f}, {time.process_time() - started:6.1f} CPU s")
    return scorer
