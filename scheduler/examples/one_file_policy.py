"""A one-file hybridsched policy: run it without installing anything.

    hybridsched examples --copy .          # this file and the example workflows
    hybridsched simulate topcuoglu2002.json --policy one_file_policy.py:Frugal
    hybridsched simulate ml-pipeline.yaml --platform h100-node \\
        --policy one_file_policy.py:Frugal --option max_delay=30

Each ready task goes to the device that adds the least energy, among those
that finish it at most ``max_delay`` seconds after its earliest finish.
"""

from scheduler.policy import Policy


class Frugal(Policy):
    name = "frugal"
    description = "least added energy within max_delay seconds of the earliest finish"

    def __init__(self, *, max_delay=10.0, **options):
        super().__init__(**options)          # seed and unknown options are handled here
        self.max_delay = float(max_delay)

    def filter(self, task, device, view):   # which devices may take the task
        earliest = min(view.finish_time(task, d) for d in view.feasible(task))
        return view.finish_time(task, device) <= earliest + self.max_delay

    def score(self, task, device, view):    # lower is better; ties go to the earlier device
        added_w = (device.busy_w - device.idle_w) * device.share(task)
        return (added_w * view.exec_time(task, device), view.finish_time(task, device))
