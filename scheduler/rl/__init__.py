"""Reinforcement learning: a Gymnasium environment and learned policies (docs/rl.md).

``import scheduler.rl`` registers ``hybridsched/Schedule-v0`` with Gymnasium
when Gymnasium is installed (the ``rl`` extra); ``gymnasium.make(
"scheduler.rl:hybridsched/Schedule-v0", ...)`` imports and registers in one
call. Gymnasium 1.x loads no plugins by itself, so one of the two is needed.
:mod:`scheduler.policies.stepwise` (the episode) and :mod:`scheduler.policies.learned`
(``--policy rl:PATH``) need only numpy and live with the other policies, so that
running a trained policy does not import Gymnasium.
"""

from __future__ import annotations

ENV_ID = "hybridsched/Schedule-v0"


def register() -> bool:
    """Register :data:`ENV_ID` with Gymnasium; False when Gymnasium is not installed."""
    try:
        import gymnasium
    except ImportError:
        return False
    if ENV_ID not in gymnasium.registry:
        gymnasium.register(id=ENV_ID, entry_point="scheduler.rl.env:ScheduleEnv")
    return True


register()
