"""Chain specs: the `dev`, `local` and `mainnet-like` presets, and chain-spec files (JSON).

`dev`: one authority (Alice), Alice is sudo, the dev accounts Alice..Ferdie are funded, 1 s slots,
SubtensorModule with short tempos (10 blocks) and relaxed limits and costs.
`local`: authorities Alice, Bob and Charlie; otherwise as dev.
`mainnet-like`: as local, with subtensor's production hyperparameters, limits and costs.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from pallets.subtensor.config import SubtensorConfig
from runtime.support.keys import DEV_ACCOUNTS, dev_keypair

TAO = 10**9  # rao per TAO
DEV_ENDOWMENT = 1_000_000 * TAO


@dataclasses.dataclass(frozen=True, slots=True)
class ChainSpec:
    """Everything that determines a chain's genesis and its consensus parameters."""

    name: str
    id: str
    chain_type: str
    slot_duration_ms: int
    authorities: tuple[bytes, ...]
    sudo: bytes | None
    balances: tuple[tuple[bytes, int], ...]
    properties: tuple[tuple[str, Any], ...] = (("ss58Format", 42), ("tokenDecimals", 9), ("tokenSymbol", "TAO"))
    genesis_timestamp_ms: int = 0
    subtensor: SubtensorConfig = SubtensorConfig()

    def with_slot_duration(self, ms: int) -> ChainSpec:
        return dataclasses.replace(self, slot_duration_ms=ms)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "id": self.id,
            "chainType": self.chain_type,
            "slotDurationMs": self.slot_duration_ms,
            "authorities": ["0x" + a.hex() for a in self.authorities],
            "sudo": None if self.sudo is None else "0x" + self.sudo.hex(),
            "balances": [["0x" + a.hex(), v] for a, v in self.balances],
            "properties": dict(self.properties),
            "genesisTimestampMs": self.genesis_timestamp_ms,
            "subtensor": self.subtensor.to_json(),
        }

    @staticmethod
    def from_json(d: dict[str, Any]) -> ChainSpec:
        """Parse a chain-spec file's JSON; raises ValueError naming the bad field."""

        def acct(x: Any, field: str) -> bytes:
            if not isinstance(x, str) or not x.startswith("0x") or len(x) != 66:
                raise ValueError(f"chain spec: {field} must be a 0x-prefixed 32-byte hex account")
            try:
                return bytes.fromhex(x[2:])
            except ValueError:
                raise ValueError(f"chain spec: {field} is not valid hex") from None

        try:
            slot = int(d["slotDurationMs"])
            if slot < 100:
                raise ValueError("chain spec: slotDurationMs must be at least 100")
            balances = []
            for i, pair in enumerate(d.get("balances", [])):
                a, v = pair
                if not isinstance(v, int) or not 0 < v < 1 << 64:
                    raise ValueError(f"chain spec: balances[{i}] amount must be a u64 rao value")
                balances.append((acct(a, f"balances[{i}]"), v))
            auths = tuple(acct(a, f"authorities[{i}]") for i, a in enumerate(d["authorities"]))
            if not auths:
                raise ValueError("chain spec: at least one authority is needed")
            return ChainSpec(
                name=str(d["name"]),
                id=str(d["id"]),
                chain_type=str(d.get("chainType", "Local")),
                slot_duration_ms=slot,
                authorities=auths,
                sudo=None if d.get("sudo") is None else acct(d["sudo"], "sudo"),
                balances=tuple(balances),
                properties=tuple(sorted(dict(d.get("properties", {})).items())),
                genesis_timestamp_ms=int(d.get("genesisTimestampMs", 0)),
                subtensor=SubtensorConfig.from_json(d.get("subtensor", {})),
            )
        except KeyError as exc:
            raise ValueError(f"chain spec: missing field {exc}") from None
        except (TypeError, ValueError) as exc:
            if str(exc).startswith("chain spec:"):
                raise
            raise ValueError(f"chain spec: {exc}") from None

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2)


def _dev_balances() -> tuple[tuple[bytes, int], ...]:
    return tuple((dev_keypair(n).public, DEV_ENDOWMENT) for n in DEV_ACCOUNTS)


def dev() -> ChainSpec:
    return ChainSpec(
        name="Development",
        id="dev",
        chain_type="Development",
        slot_duration_ms=1000,
        authorities=(dev_keypair("Alice").public,),
        sudo=dev_keypair("Alice").public,
        balances=_dev_balances(),
        subtensor=SubtensorConfig.fast(),
    )


def local(n_authorities: int = 3) -> ChainSpec:
    names = DEV_ACCOUNTS[:n_authorities] if n_authorities <= len(DEV_ACCOUNTS) else tuple(
        list(DEV_ACCOUNTS) + [f"Node{i}" for i in range(len(DEV_ACCOUNTS), n_authorities)]
    )
    return ChainSpec(
        name="Local Testnet",
        id="local_testnet",
        chain_type="Local",
        slot_duration_ms=1000,
        authorities=tuple(dev_keypair(n).public for n in names),
        sudo=dev_keypair("Alice").public,
        balances=_dev_balances(),
        subtensor=SubtensorConfig.fast(),
    )


def mainnet_like() -> ChainSpec:
    return dataclasses.replace(
        local(), name="Mainnet-like Testnet", id="mainnet_like", subtensor=SubtensorConfig()
    )


PRESETS = {"dev": dev, "local": local, "mainnet-like": mainnet_like}


def get_preset(name: str) -> ChainSpec:
    try:
        return PRESETS[name]()
    except KeyError:
        raise ValueError(f"unknown chain {name!r}: use one of {', '.join(PRESETS)} or a chain-spec file") from None
