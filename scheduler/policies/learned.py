"""A learned placement policy: a small network scoring each device, run as a hybridsched policy.

:class:`Scorer` gives every device the same one-hidden-layer network
(``tanh``) over the task's features and that device's features of the
observation, and picks by a softmax over the feasible devices; sharing the
weights across devices lets one set of weights run on platforms of any size.
:class:`Learned` (``--policy rl:PATH``) loads saved weights and plans
statically: it walks an :class:`~scheduler.policies.stepwise.Episode` (HEFT's
order and timing) taking the highest-scoring device at each step, so its
run equals the Gymnasium episode that takes the same actions.

Numpy only; :mod:`scheduler.rl.train` trains one (REINFORCE).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from scheduler.policy import Plan, Policy
from scheduler.problem import Problem
from scheduler.policies.stepwise import DEVICE_FEATURES, TASK_FEATURES, Episode, Instance
from workloads.errors import InputError

FORMAT = "hybridsched-rl-scorer/1"
INPUTS = TASK_FEATURES + DEVICE_FEATURES


class Scorer:
    """``score_p = w2 . tanh(W1^T [task, device_p] + b1)``, a softmax over feasible devices."""

    def __init__(self, hidden: int = 16, seed: int = 0):
        rng = np.random.default_rng(seed)
        self.W1 = rng.normal(0.0, 1.0 / np.sqrt(INPUTS), (INPUTS, hidden))
        self.b1 = np.zeros(hidden)
        self.w2 = rng.normal(0.0, 1.0 / np.sqrt(hidden), hidden)

    @property
    def params(self) -> list[np.ndarray]:
        return [self.W1, self.b1, self.w2]

    @staticmethod
    def inputs(obs: np.ndarray, n_devices: int) -> np.ndarray:
        """One input row per device: the task features next to that device's features."""
        task = obs[:TASK_FEATURES]
        rows = obs[TASK_FEATURES:TASK_FEATURES + n_devices * DEVICE_FEATURES].reshape(n_devices, DEVICE_FEATURES)
        return np.hstack([np.broadcast_to(task, (n_devices, TASK_FEATURES)), rows])

    def probabilities(self, x: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The softmax over devices with ``mask`` (0 where infeasible), and the hidden layer."""
        h = np.tanh(x @ self.W1 + self.b1)
        s = h @ self.w2
        s = np.where(mask, s, -np.inf)
        e = np.exp(s - s.max())
        return e / e.sum(), h

    def act(self, obs: np.ndarray, mask: np.ndarray, rng: np.random.Generator | None = None) -> int:
        """The highest-scoring feasible device (``rng``: a draw from the softmax instead)."""
        n = len(mask)
        prob, _ = self.probabilities(self.inputs(obs, n), np.asarray(mask[:n], dtype=bool))
        if rng is None:
            return int(np.argmax(prob))
        return int(rng.choice(n, p=prob))

    def log_prob_grad(self, obs: np.ndarray, mask: np.ndarray, action: int) -> list[np.ndarray]:
        """Gradient of ``log pi(action)`` with respect to :attr:`params`."""
        n = len(mask)
        x = self.inputs(obs, n)
        prob, h = self.probabilities(x, np.asarray(mask[:n], dtype=bool))
        c = -prob
        c[action] += 1.0
        g = (c[:, None] * (1.0 - h * h)) * self.w2  # d log pi / d pre-activation, per device
        return [x.T @ g, g.sum(axis=0), c @ h]

    # -- files ------------------------------------------------------------------

    def save(self, path: str | Path, **meta: Any) -> None:
        """Write the weights (and ``meta``, JSON-able) as one ``.npz`` file."""
        from scheduler.api import replace_atomic

        header = json.dumps({"format": FORMAT, "task_features": TASK_FEATURES, "device_features": DEVICE_FEATURES,
                             **meta})

        def write(tmp: str) -> None:
            with open(tmp, "wb") as f:
                np.savez(f, W1=self.W1, b1=self.b1, w2=self.w2, header=np.array(header))

        replace_atomic(Path(path), write, suffix=".npz")

    @classmethod
    def load(cls, path: str | Path) -> "Scorer":
        """Read weights written by :meth:`save`; InputError naming the file if they are not."""
        source = str(path)
        if not Path(path).is_file():
            raise InputError("no such weights file", source=source)
        try:
            with np.load(path, allow_pickle=False) as data:
                header = json.loads(str(data["header"]))
                W1, b1, w2 = (np.array(data[k], dtype=float) for k in ("W1", "b1", "w2"))
        except Exception as err:  # numpy's and zipfile's errors: one line naming the file
            raise InputError(f"not a hybridsched weights file ({type(err).__name__}: {err})", source=source) from None
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise InputError(f"not a {FORMAT} weights file", source=source)
        if (header.get("task_features"), header.get("device_features")) != (TASK_FEATURES, DEVICE_FEATURES):
            raise InputError("the weights were trained on another observation layout", source=source)
        if W1.ndim != 2 or W1.shape[0] != INPUTS or b1.shape != (W1.shape[1],) or w2.shape != (W1.shape[1],):
            raise InputError(f"weights of the wrong shape: W1 {W1.shape}, b1 {b1.shape}, w2 {w2.shape}", source=source)
        if not all(np.isfinite(a).all() for a in (W1, b1, w2)):
            raise InputError("the weights hold NaN or infinity", source=source)
        scorer = cls.__new__(cls)
        scorer.W1, scorer.b1, scorer.w2 = W1, b1, w2
        return scorer


def greedy_plan(scorer: Scorer, instance: Instance) -> Plan:
    """The plan of taking the scorer's best device at every step."""
    episode = Episode(instance)
    while not episode.done:
        episode.place(scorer.act(episode.observation(), episode.mask))
    return episode.plan


class Learned(Policy):
    """``--policy rl:PATH`` (or ``--policy rl --option weights=PATH``): a trained :class:`Scorer`."""

    name = "rl"
    description = "a learned device scorer (weights=PATH, docs/rl.md), planned in HEFT's order and timing"

    def __init__(self, *, weights: str | Path | None = None, insertion: bool = True, **options: Any):
        super().__init__(**options)
        if weights is None:
            raise InputError("needs weights=PATH (a file written by scheduler.rl.train); "
                             "or name it as --policy rl:PATH", item="policy 'rl'")
        self.scorer = Scorer.load(weights)
        self.insertion = bool(insertion)

    def plan(self, problem: Problem) -> Plan:
        return greedy_plan(self.scorer, Instance(problem, insertion=self.insertion))
