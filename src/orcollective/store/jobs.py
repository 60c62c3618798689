"""Runs that go on in the server after their tool call returned (``wait=false``).

A job is started under its run id, shows its progress and the calls finished so far while it runs, and
can be cancelled. The runtime owns one registry; its task group lives as long as the server, and closing
it cancels the jobs still running (their runs are then recorded as cancelled by the work itself).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import anyio

from ..errors import ConfigError, OrcError

KEEP_FINISHED = 200  # finished jobs kept in memory (their runs stay in the store)


@dataclass
class Job:
    """One background run: where it is, what finished so far, and how it ended."""

    run_id: str
    tool: str
    started_at: float = field(default_factory=time.time)
    status: str = "running"  # then done, error or cancelled
    done: float = 0.0
    total: float | None = None
    message: str = ""
    events: list[dict] = field(default_factory=list)  # one per finished call, in order
    result: dict | None = None
    error: str | None = None
    finished_at: float | None = None
    scope: anyio.CancelScope = field(default_factory=anyio.CancelScope)
    ended: anyio.Event = field(default_factory=anyio.Event)

    def view(self) -> dict:
        """What ``runs(run_id)`` shows of the live job."""
        return {
            "status": self.status,
            "progress": {"done": self.done, "total": self.total, "message": self.message},
            "finished_calls": list(self.events),
            "elapsed_s": round((self.finished_at or time.time()) - self.started_at, 3),
            "error": self.error,
        }


Work = Callable[[Job], Awaitable[dict]]


class Jobs:
    """The server's background runs, by run id."""

    def __init__(self) -> None:
        self._open = False
        self._jobs: dict[str, Job] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    @asynccontextmanager
    async def running(self) -> AsyncIterator[Jobs]:
        """Accept jobs while the block runs; cancel those still running when it ends.

        Jobs run as tasks of their own rather than in a task group around the block, so an error of the
        block reaches its caller as itself, not wrapped in an exception group; each job is cancelled
        through its cancel scope, never with ``Task.cancel()``.
        """
        self._open = True
        try:
            yield self
        finally:
            self._open = False
            for job in self._jobs.values():
                job.scope.cancel()
            with anyio.CancelScope(shield=True):
                for task in list(self._tasks):
                    await task

    def start(self, run_id: str, tool: str, work: Work) -> Job:
        """Run ``work`` in the background under ``run_id``; its return value is the job's result."""
        if not self._open:
            raise ConfigError("wait=false needs a running server (orcollective serve); use wait=true here.")
        job = Job(run_id, tool)
        self._jobs[run_id] = job
        self._forget_old()
        task = asyncio.get_running_loop().create_task(self._run(job, work), name=f"orcollective-job-{run_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return job

    def get(self, run_id: str) -> Job | None:
        return self._jobs.get(run_id)

    def cancel(self, run_id: str) -> Job | None:
        """Cancel a running job (a finished one is left as it is); None if no such job."""
        job = self._jobs.get(run_id)
        if job is not None and job.status == "running":
            job.scope.cancel()
        return job

    async def _run(self, job: Job, work: Work) -> None:
        with job.scope:
            try:
                job.result = await work(job)
                job.status = "done"
            except OrcError as exc:
                job.status, job.error = "error", str(exc)
            except Exception as exc:  # noqa: BLE001 - a background crash must end its job, not the server
                job.status, job.error = "error", f"internal error ({type(exc).__name__})"
        if job.scope.cancelled_caught:
            job.status, job.error = "cancelled", "cancelled by the client"
        job.finished_at = time.time()
        job.ended.set()

    def _forget_old(self) -> None:
        finished = [k for k, j in self._jobs.items() if j.status != "running"]
        for run_id in finished[: max(0, len(finished) - KEEP_FINISHED)]:
            del self._jobs[run_id]
