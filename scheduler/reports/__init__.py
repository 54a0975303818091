"""Reports of results folders: plots (:mod:`~scheduler.reports.plots`) and
Chrome/Perfetto trace export (:mod:`~scheduler.reports.perfetto`)."""
