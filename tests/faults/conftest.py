"""The fault suite (tests/faults): each fault of the hardening issue as a test, with real processes
on loopback and every loop bounded. The multi-node helpers of tests/net (LocalNet, wait_for) are
shared: `from netutil import LocalNet`."""

from __future__ import annotations

import sys
from pathlib import Path

NET = str(Path(__file__).resolve().parents[1] / "net")
if NET not in sys.path:
    sys.path.insert(0, NET)
