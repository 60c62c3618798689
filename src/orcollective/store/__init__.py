"""The run store: SQLite with numbered migrations holding runs, calls, the ledger and reliability."""

from .recorder import RunRecorder
from .runs import ROLES, STATUSES, ModelStats, Reliability, RunStore

__all__ = ["ROLES", "STATUSES", "ModelStats", "Reliability", "RunRecorder", "RunStore"]
