"""A subnet's metagraph as numpy arrays, shaped like bittensor's `Metagraph`.

    from taochain import Client

    c = Client(network="local")
    mg = c.metagraph(1)                      # a Metagraph at the best block
    print(mg.n, mg.block, mg.tempo)
    print(mg.S, mg.I, mg.D)                  # stake (TAO), incentive, dividends
    top = int(mg.I.argmax()); print(mg.hotkeys[top], mg.axons[top].ip_str())
    mg.sync()                                # refresh in place (the Client's metagraph; `await mg.sync()` for AsyncClient)

Arrays (numpy; one entry per neuron, in uid order):

- `uids` int64; `S` / `stake` and `total_stake`: the hotkey's total stake in TAO (float64; rao / 1e9);
- `I` / `incentive`, `C` / `consensus`, `Tv` / `validator_trust`, `D` / `dividends`, `stake_weight`: the
  chain's u16 values normalized to [0, 1] floats (value / 65535), as bittensor's u16_normalized_float;
- `E` / `emission`: the last epoch's emission per neuron in TAO (float64);
- `active` int64 (0/1), `validator_permit` bool, `last_update` and `block_at_registration` int64 (blocks);
- `W` / `weights` (n x n float64): row i is neuron i's weights, normalized to sum 1 (bittensor's
  convert_weight_uids_and_vals_to_tensor); zero rows for neurons without weights;
- `B` / `bonds` (n x n float64): the raw u16 bond values, as bittensor leaves them (not normalized);
- `hotkeys`, `coldkeys`, `addresses` (the axons' "ip:port", "" when not serving), `axons` (AxonInfo).

Subnet fields: `netuid`, `n`, `block`, `tempo`, `owner_hotkey`, `owner_coldkey`, `hparams` (the
hyperparameters dict), `subnet` (subnetInfo_getSubnetInfo). With `lite=True` the weights and bonds
are not fetched (W and B are zero).

A Metagraph is also a read-only Mapping over the node's `subnetInfo_getMetagraph` JSON, so code that
used the dict keeps working: `mg["neurons"][0]["hotkey"]`, `mg["block"]`, `mg.get("netuid")`, `{**mg}`.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

U16_MAX = 0xFFFF
RAO_PER_TAO = 1e9
U16_FIELDS = ("consensus", "incentive", "dividends", "validator_trust", "stake_weight")


@dataclasses.dataclass(frozen=True, slots=True)
class AxonInfo:
    """A neuron's announced axon (bittensor's AxonInfo fields); ip "0.0.0.0" and port 0 when none."""

    ip: str = "0.0.0.0"
    port: int = 0
    ip_type: int = 4
    protocol: int = 4
    version: int = 0
    block: int = 0
    hotkey: str = ""
    coldkey: str = ""

    @property
    def is_serving(self) -> bool:
        return self.ip != "0.0.0.0" and self.port != 0

    def ip_str(self) -> str:
        """"/ipv4/1.2.3.4:8091", as bittensor's AxonInfo.ip_str()."""
        return f"/ipv{self.ip_type}/{self.ip}:{self.port}"

    @property
    def url(self) -> str:
        """http://ip:port (IPv6 in brackets)."""
        host = f"[{self.ip}]" if isinstance(ipaddress.ip_address(self.ip), ipaddress.IPv6Address) else self.ip
        return f"http://{host}:{self.port}"


def _row(n: int, pairs: list, normalize: bool) -> np.ndarray:
    row = np.zeros(n, dtype=np.float64)
    for uid, value in pairs:
        if 0 <= uid < n:
            row[uid] = float(value)
    if normalize:
        total = row.sum()
        if total > 0:
            row /= total
    return row


class Metagraph(Mapping):
    """See the module docstring. Built by `Client.metagraph(netuid)` / `AsyncClient.metagraph(netuid)`."""

    def __init__(self, netuid: int, parts: dict, client: Any = None, runner: Callable[[Any], Any] | None = None,
                 lite: bool = False) -> None:
        self.netuid = netuid
        self.lite = lite
        self._client = client  # the AsyncClient that fetched it (sync() asks it again)
        self._runner = runner  # Client: runs a coroutine to its result on the Client's loop
        self._load(parts)

    # ------------------------------------------------------------------ loading
    def _load(self, parts: dict) -> None:
        """parts: {"metagraph": subnetInfo_getMetagraph's dict, "full": neuronInfo_getNeurons' list or
        None, "hparams": dict or None, "subnet": dict or None}."""
        mg = parts["metagraph"]
        self._json = mg
        neurons = mg["neurons"]
        self.block: int = mg["block"]
        self.neurons: list[dict] = neurons
        self.n = len(neurons)
        self.hparams: dict = parts.get("hparams") or {}
        self.subnet: dict = parts.get("subnet") or {}
        self.tempo: int | None = self.hparams.get("tempo", self.subnet.get("tempo"))
        self.owner_hotkey: str | None = self.subnet.get("owner_hotkey")
        self.owner_coldkey: str | None = self.subnet.get("owner")
        self.uids = np.array([x["uid"] for x in neurons], dtype=np.int64)
        self.stake = np.array([x["stake"] / RAO_PER_TAO for x in neurons], dtype=np.float64)
        self.total_stake = self.stake
        self.emission = np.array([x["emission"] / RAO_PER_TAO for x in neurons], dtype=np.float64)
        for name in U16_FIELDS:
            setattr(self, name, np.array([x[name] / U16_MAX for x in neurons], dtype=np.float64))
        self.active = np.array([int(bool(x["active"])) for x in neurons], dtype=np.int64)
        self.validator_permit = np.array([bool(x["validator_permit"]) for x in neurons], dtype=bool)
        self.last_update = np.array([x["last_update"] for x in neurons], dtype=np.int64)
        self.block_at_registration = np.array([x["registered_at"] for x in neurons], dtype=np.int64)
        self.hotkeys: list[str] = [x["hotkey"] for x in neurons]
        self.coldkeys: list[str] = [x["coldkey"] for x in neurons]
        self.axons: list[AxonInfo] = [
            AxonInfo(hotkey=x["hotkey"], coldkey=x["coldkey"], **(x["axon"] or {})) for x in neurons
        ]
        self.addresses: list[str] = [f"{a.ip}:{a.port}" if a.is_serving else "" for a in self.axons]
        width = max(self.n, int(self.uids.max()) + 1 if self.n else 0)
        full = parts.get("full")
        if full is None:
            self.weights = np.zeros((self.n, width), dtype=np.float64)
            self.bonds = np.zeros((self.n, width), dtype=np.float64)
        else:
            by_uid = {x["uid"]: x for x in full}
            self.weights = np.array([_row(width, by_uid[u]["weights"], True) for u in self.uids]).reshape(self.n, width)
            self.bonds = np.array([_row(width, by_uid[u]["bonds"], False) for u in self.uids]).reshape(self.n, width)

    # bittensor's short names
    @property
    def S(self) -> np.ndarray:  # noqa: N802
        return self.stake

    @property
    def TS(self) -> np.ndarray:  # noqa: N802
        return self.total_stake

    @property
    def I(self) -> np.ndarray:  # noqa: N802, E743
        return self.incentive  # type: ignore[attr-defined]

    @property
    def E(self) -> np.ndarray:  # noqa: N802
        return self.emission

    @property
    def C(self) -> np.ndarray:  # noqa: N802
        return self.consensus  # type: ignore[attr-defined]

    @property
    def Tv(self) -> np.ndarray:  # noqa: N802
        return self.validator_trust  # type: ignore[attr-defined]

    @property
    def D(self) -> np.ndarray:  # noqa: N802
        return self.dividends  # type: ignore[attr-defined]

    @property
    def W(self) -> np.ndarray:  # noqa: N802
        return self.weights

    @property
    def B(self) -> np.ndarray:  # noqa: N802
        return self.bonds

    # ------------------------------------------------------------------ refresh
    def sync(self, block: int | None = None, lite: bool | None = None) -> Any:
        """Fetch the metagraph again (at the best block, or `block`) and update in place. From a
        `Client`, returns self; from an `AsyncClient`, returns an awaitable: `await mg.sync()`.

            mg = c.metagraph(1); ...; mg.sync(); print(mg.block)
        """
        if self._client is None:
            raise RuntimeError("this Metagraph has no client to sync with")
        lite = self.lite if lite is None else lite
        coro = self._client._metagraph_parts(self.netuid, block, None, lite)
        if self._runner is not None:
            parts = self._runner(coro)
            if parts is None:
                raise ValueError(f"there is no subnet {self.netuid}")
            self.lite = lite
            self._load(parts)
            return self

        async def run() -> Metagraph:
            parts = await coro
            if parts is None:
                raise ValueError(f"there is no subnet {self.netuid}")
            self.lite = lite
            self._load(parts)
            return self

        return run()

    # ------------------------------------------------------------------ the JSON view (Mapping)
    def __getitem__(self, key: str) -> Any:
        return self._json[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._json)

    def __len__(self) -> int:
        return len(self._json)

    def to_json(self) -> dict:
        """The node's subnetInfo_getMetagraph dict (netuid, block, neurons)."""
        return self._json

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Metagraph):
            return self._json == other._json
        return isinstance(other, Mapping) and self._json == dict(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Metagraph(netuid={self.netuid}, n={self.n}, block={self.block})"


__all__ = ["AxonInfo", "Metagraph"]
