"""usage: account credits and limits from ``/key``, plus this server's own spend ledger."""

from __future__ import annotations

import logging
import time
from typing import Annotated

from pydantic import BaseModel, Field

from ..errors import MISSING_KEY, StoreError, UpstreamError
from ..runtime import Runtime
from .base import Cli, Feature, Progress, Request

log = logging.getLogger("orcollective.usage")


class UsageRequest(Request):
    days: Annotated[int | None, Field(ge=1, le=36500, description="Ledger window")] = None


class SpendRow(BaseModel, defer_build=True):
    key: str
    calls: int
    cost_usd: float


class Account(BaseModel, defer_build=True):
    label: str | None
    limit_usd: float | None
    limit_remaining_usd: float | None
    limit_reset: str | None
    usage_usd: float | None
    usage_daily_usd: float | None
    usage_monthly_usd: float | None
    is_free_tier: bool | None


class UsageResult(BaseModel, defer_build=True):
    account: Account | None
    account_error: str | None
    ledger_total_usd: float
    ledger_calls: int
    by_model: list[SpendRow]
    by_tool: list[SpendRow]
    by_day: list[SpendRow]


async def run(rt: Runtime, req: UsageRequest, progress: Progress) -> UsageResult:
    account, account_error = None, None
    if not rt.client.has_key:
        account_error = MISSING_KEY
    else:
        try:
            key = await rt.client.key_info()
            account = Account(
                label=key.label,
                limit_usd=key.limit,
                limit_remaining_usd=key.limit_remaining,
                limit_reset=key.limit_reset,
                usage_usd=key.usage,
                usage_daily_usd=key.usage_daily,
                usage_monthly_usd=key.usage_monthly,
                is_free_tier=key.is_free_tier,
            )
        except UpstreamError as exc:
            account_error = str(exc)
    ledger: dict = {"total_usd": 0.0, "calls": 0, "by_model": [], "by_tool": [], "by_day": []}
    if rt.store is not None:
        since = time.time() - req.days * 86400 if req.days else None
        try:
            ledger = rt.store.ledger(since=since)
        except StoreError as exc:
            log.warning("ledger unavailable: %s", exc)
    return UsageResult(
        account=account,
        account_error=account_error,
        ledger_total_usd=round(ledger["total_usd"], 10),
        ledger_calls=ledger["calls"],
        by_model=[_spend(r, "model") for r in ledger["by_model"]],
        by_tool=[_spend(r, "tool") for r in ledger["by_tool"]],
        by_day=[_spend(r, "day") for r in ledger["by_day"]],
    )


def summary(result: UsageResult) -> str:
    account = result.account
    if account is not None:
        left = f"${account.limit_remaining_usd:.2f} left" if account.limit_remaining_usd is not None else "no limit"
        head = f"Account: {left}, ${account.usage_usd or 0:.6f} used."
    else:
        head = f"Account: {result.account_error}"
    return f"{head} This server spent ${result.ledger_total_usd:.6f} over {result.ledger_calls} calls."


def _spend(row: dict, key: str) -> SpendRow:
    return SpendRow(key=str(row[key]), calls=int(row["calls"]), cost_usd=round(float(row["cost_usd"] or 0), 10))


FEATURE = Feature(
    name="usage",
    group="core",
    kind="read",
    description="Credits, limits and this server's spend ledger.",
    request=UsageRequest,
    result=UsageResult,
    run=run,
    summary=summary,
    cli=Cli(command="usage"),
)
