"""Latency and error-rate monitoring: per-model DDSketch quantiles, windows and alerts.

* ``performance``: :class:`PerformanceMonitor`, the observer that records each call;
* ``sketch``: :class:`DDSketch`, quantiles within 1% relative error;
* ``_window``, ``_series``, ``_counts``: the sliding window, its bucket counts
  and their copies;
* ``_snapshot``: the statistics of a moment, computed when first read.
"""

from logmoji.llm.monitor._snapshot import Snapshot
from logmoji.llm.monitor.performance import OTHER_MODEL, PerformanceMonitor
from logmoji.llm.monitor.sketch import DDSketch

__all__ = ["OTHER_MODEL", "DDSketch", "PerformanceMonitor", "Snapshot"]
