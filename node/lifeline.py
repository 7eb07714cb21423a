"""Child processes that die with their parent, whatever kills the parent (SIGKILL included).

Linux has `PR_SET_PDEATHSIG` (prctl(2)): the kernel sends the child a signal when the *thread*
that forked it exits, so spawn from the thread that lives as long as the process (the main
thread). It survives execve, so a launcher sets it between fork and exec (`Popen(preexec_fn=
parent_death_preexec())`); a multiprocessing child sets it first thing (`die_with_parent`). Both
check getppid() right after setting it: a parent that died before the call has already re-parented
the child, and no signal would come.

The signal is SIGKILL: it cannot be caught or ignored, so a child that hangs still goes. The node's
database survives it (every batch is written synced). Children that poll getppid() as well (the
signature worker, the demo's miners and validators) also go where prctl does not exist.
"""

from __future__ import annotations

import ctypes
import functools
import os
import signal
import sys
from collections.abc import Callable

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _load_prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl  # loaded here, not in the forked child
    except (OSError, AttributeError):
        return None


_PRCTL = _load_prctl()


def set_parent_death_signal(sig: int = signal.SIGKILL) -> bool:
    """Ask for `sig` when the parent (thread) exits; False where prctl is not available."""
    if _PRCTL is None:
        return False
    return _PRCTL(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0


def die_with_parent(parent_pid: int, sig: int = signal.SIGKILL) -> bool:
    """In a child of `parent_pid`: get `sig` when the parent dies, and get it now if it is gone
    already. True when the kernel will deliver it (Linux)."""
    armed = set_parent_death_signal(sig)
    if os.getppid() != parent_pid:  # the parent died before prctl: nothing would tell us
        os.kill(os.getpid(), sig)
    return armed


def parent_death_preexec(sig: int = signal.SIGKILL) -> Callable[[], None] | None:
    """A `preexec_fn` for `subprocess.Popen` that makes the child die with this process (call it
    in the process, and thread, that runs Popen); None where the platform has no prctl."""
    if _PRCTL is None:
        return None
    return functools.partial(die_with_parent, os.getpid(), int(sig))
