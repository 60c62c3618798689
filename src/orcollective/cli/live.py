"""Progress a person can watch: a live panel with a row per model, a spinner with the time waited.

On a terminal, a rich ``Live`` panel on stderr shows each model as waiting, answered (answer, latency,
cost), failed (the reason) or cancelled, and a spinner with the elapsed time while nothing has arrived
yet (``ask`` before its first token). The panel is transient: the final table replaces it. When stderr
is not a terminal, each finished model is one plain line and nothing is redrawn.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from rich.columns import Columns
from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.spinner import Spinner
from rich.table import Table
from rich.text import Text

from ..features import Progress
from .render import STATUS_STYLES, STATUS_WORDS, money

REFRESH_PER_S = 8


@dataclass
class Row:
    model: str
    started: float
    status: str = "waiting"
    answer: str | None = None
    latency_s: float | None = None
    cost_usd: float | None = None
    error: str | None = None
    chars: int = 0  # of the answer streamed so far
    spinner: Spinner = field(default_factory=lambda: Spinner("dots", style="cyan"))


class LiveProgress(Progress):
    """Shows a feature's progress on ``err`` and streams its text to ``out``; ``close()`` when done."""

    def __init__(self, out: Console, err: Console, what: str, *, stream: bool = True) -> None:
        self.out, self.err = out, err
        self.what = what  # "consensus", "waiting for openai/gpt-4o", ...
        self.stream = stream  # False: the answer is not echoed (``--json`` owns stdout)
        self.started = time.monotonic()
        self.rows: dict[str, Row] = {}
        self.message = ""
        self.done: float = 0.0
        self.total: float | None = None  # steps of a counted job (a benchmark's trials), for the bar
        self.streamed = 0
        self.ends_with_newline = True
        self.live: Live | None = None
        self.spinner = Spinner("dots", style="cyan")
        # On a terminal the panel shows each answer streaming in, so the feature asks its panel streamed.
        self.streams = err.is_terminal
        if err.is_terminal:
            self.live = Live(get_renderable=self._view, console=err, transient=True, refresh_per_second=REFRESH_PER_S)
            self.live.start()

    # -- what features report ------------------------------------------------------------------------

    async def model_started(self, model: str) -> None:
        self.rows[model] = Row(model, time.monotonic())

    async def model_text(self, model: str, chars: int) -> None:
        row = self.rows.setdefault(model, Row(model, self.started))
        if row.status in ("waiting", "streaming"):
            row.status, row.chars = "streaming", chars

    async def model_finished(
        self,
        model: str,
        status: str,
        *,
        answer: str | None = None,
        latency_s: float = 0.0,
        cost_usd: float | None = None,
        error: str | None = None,
    ) -> None:
        row = self.rows.setdefault(model, Row(model, self.started))
        row.status, row.answer, row.latency_s, row.cost_usd, row.error = status, answer, latency_s, cost_usd, error
        if self.live is None:
            self.err.print(self._line(row), highlight=False)

    async def step(self, done: float, total: float | None, message: str) -> None:
        if total is not None:
            self.message, self.done, self.total = message, done, total
            if self.live is None and not self.rows:
                self.err.print(Text(f"  {message}", style="dim"))

    async def text(self, delta: str) -> None:
        if not self.streamed:
            self._stop_live()  # the first token ends the wait; the text itself is the progress now
        self.streamed += len(delta)
        if self.stream:
            self.ends_with_newline = delta.endswith("\n")
            self.out.print(delta, end="", markup=False, highlight=False, soft_wrap=True)

    # -- what the command reads back -----------------------------------------------------------------

    @property
    def elapsed_s(self) -> float:
        return time.monotonic() - self.started

    @property
    def spent_usd(self) -> float:
        return sum(r.cost_usd or 0 for r in self.rows.values())

    def close(self) -> None:
        """Take the panel down, and end a streamed answer's line so what follows starts on its own."""
        self._stop_live()
        if self.streamed and not self.ends_with_newline:
            self.out.print()
            self.ends_with_newline = True

    def cancelled_line(self) -> str:
        """What was done and spent when the person pressed Ctrl-C."""
        done = [r for r in self.rows.values() if r.status == "ok"]
        parts = [f"Cancelled after {self.elapsed_s:.1f}s"]
        if self.rows:
            parts.append(f"{len(done)} of {len(self.rows)} models had answered")
            parts.append(f"${self.spent_usd:.6f} spent on finished calls")
        elif self.streamed:
            parts.append(f"{self.streamed} characters received; the cut-off answer's cost is not reported")
        else:
            parts.append("before any answer arrived")
        return ", ".join(parts) + ". The run is kept as cancelled (orcollective runs)."

    # -- drawing -------------------------------------------------------------------------------------

    def _stop_live(self) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None

    def _view(self) -> RenderableType:
        elapsed = f"{self.elapsed_s:.1f}s"
        if not self.rows:
            self.spinner.text = Text(f"{self.what} · {elapsed}" + (f" · {self.message}" if self.message else ""))
            if self.total:
                bar = ProgressBar(total=self.total, completed=self.done, width=40)
                return Group(self.spinner, Columns([bar, Text(f"{self.done:g}/{self.total:g}")]))
            return self.spinner
        finished = [r for r in self.rows.values() if r.status not in ("waiting", "streaming")]
        failed = sum(r.status in ("error", "timeout") for r in finished)
        head = f"{self.what} · {len(finished) - failed}/{len(self.rows)} answered"
        head += f" · {failed} failed" if failed else ""
        head += f" · {elapsed} · ${self.spent_usd:.6f}"
        table = Table.grid(padding=(0, 1))
        table.add_column(no_wrap=True)
        table.add_column(no_wrap=True)  # the model id: never cut
        table.add_column(no_wrap=True)
        table.add_column(overflow="fold")
        now = time.monotonic()
        for row in self.rows.values():
            if row.status == "waiting":
                table.add_row(row.spinner, Text(row.model, style="bold"), "waiting", f"{now - row.started:.1f}s")
            elif row.status == "streaming":
                detail = f"{row.chars:,} characters · {now - row.started:.1f}s"
                table.add_row(row.spinner, Text(row.model, style="bold"), Text("streaming", style="cyan"), detail)
            else:
                mark = Text("✓", style="green") if row.status == "ok" else Text("✗", style="red")
                word = Text(STATUS_WORDS.get(row.status, row.status), style=STATUS_STYLES.get(row.status, ""))
                table.add_row(mark, Text(row.model, style="bold"), word, self._detail(row))
        return Group(Text(head, style="bold"), table)

    @staticmethod
    def _detail(row: Row) -> Text:
        if row.status == "ok":
            return Text(f"{row.answer or '(no answer found)'} · {row.latency_s or 0:.2f}s · {money(row.cost_usd)}")
        return Text(row.error or row.status, style="red" if row.status in ("error", "timeout") else "dim")

    def _line(self, row: Row) -> Text:
        mark = "✓" if row.status == "ok" else "✗"
        return Text(f"  {mark} {row.model} {STATUS_WORDS.get(row.status, row.status)}: ") + self._detail(row)
