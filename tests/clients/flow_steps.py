"""Step runners shared by the outside-client flows (psi_flow.py, asi_flow.py), which run in their own
virtual environments (.venv-psi, .venv-asi) and so import nothing of taochain.

Each step prints one JSON line `{"step": name, "ok": bool, "ms": float, ...values}` or, when it
raised, `{"step": name, "ok": false, "error": "Type: text"}`; a step that runs past its timeout is
reported the same way, so one hanging step doesn't hide the steps after it. The test side
(tests/clients/outside.py) reads the lines and asserts on each step's values.
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
import traceback
from collections.abc import Awaitable, Callable
from typing import Any

# Substrate's dev accounts (sr25519 from the dev phrase), as `subkey inspect //Alice`
ALICE = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"
BOB = "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"
AMOUNT = 1_234_567_890  # rao sent Alice -> Bob by the transfer step
TOO_MUCH = 10**18  # rao: more than any dev account holds (the failing call)


def free_of(account_info: Any) -> int:
    """The free balance from a decoded System.Account value (Substrate's `data.free`, or a flat `free`)."""
    v = account_info
    return int(v["data"]["free"] if isinstance(v, dict) and "data" in v else v["free"])


def _report(name: str, t0: float, out: dict[str, Any]) -> dict[str, Any]:
    line = {"step": name, "ms": round((time.perf_counter() - t0) * 1000, 1), **out}
    print(json.dumps(line, default=repr), flush=True)
    return line


def _failure(e: BaseException) -> dict[str, Any]:
    tb = traceback.extract_tb(e.__traceback__)
    where = " > ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} {f.name}" for f in tb[-3:])
    return {"ok": False, "error": f"{type(e).__name__}: {e}"[:1500], "where": where}


class _Timeout(Exception):
    pass


def not_run(name: str, why: str) -> dict[str, Any]:
    """Report a step that could not run (`why`: the step it needed failed)."""
    return _report(name, time.perf_counter(), {"ok": False, "error": f"not run: {why}"})


def step(name: str, fn: Callable[[], dict[str, Any] | None], timeout: int = 30) -> dict[str, Any]:
    """Run `fn()` (its dict: the step's values) under a SIGALRM timeout; print and answer the line."""

    def on_alarm(*_: Any) -> None:
        raise _Timeout(f"step {name!r} took more than {timeout} s")

    signal.signal(signal.SIGALRM, on_alarm)
    t0 = time.perf_counter()
    signal.alarm(timeout)
    try:
        out = {"ok": True, **(fn() or {})}
    except BaseException as e:  # noqa: BLE001 - every failure is reported, the flow goes on
        out = _failure(e)
    finally:
        signal.alarm(0)
    return _report(name, t0, out)


async def astep(name: str, fn: Callable[[], Awaitable[dict[str, Any] | None]], timeout: int = 30) -> dict[str, Any]:
    """The async `step`: `await fn()` under asyncio.wait_for."""
    t0 = time.perf_counter()
    try:
        out = {"ok": True, **((await asyncio.wait_for(fn(), timeout)) or {})}
    except TimeoutError:
        out = {"ok": False, "error": f"TimeoutError: step {name!r} took more than {timeout} s"}
    except BaseException as e:  # noqa: BLE001
        out = _failure(e)
    return _report(name, t0, out)
