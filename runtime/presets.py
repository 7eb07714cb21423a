"""Chain specs: the `dev`, `local` and `mainnet-like` presets, and chain-spec files (JSON).

`dev`: one authority (Alice), Alice is sudo, the dev accounts Alice..Ferdie are funded, 1 s slots,
SubtensorModule with short tempos (10 blocks) and relaxed limits and costs.

Accounts (the funded dev accounts, sudo) are Substrate's sr25519 ones: `//Alice` is
5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY, as `subkey inspect //Alice`. Authority keys (Aura
seals, finality votes, the beacon share, the p2p identity) are the ed25519 keys of the same URIs,
like Substrate's GRANDPA ed25519 session keys; an authority's fees go to its ed25519 account.
`local`: authorities Alice, Bob and Charlie; otherwise as dev.
`mainnet-like`: as local, with subtensor's production hyperparameters, limits and costs.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from runtime.construct import DrandConfig, SubtensorConfig
from runtime.support import bls
from runtime.support.keys import DEV_ACCOUNTS, ED25519, SR25519, dev_keypair

TAO = 10**9  # rao per TAO
DEV_ENDOWMENT = 1_000_000 * TAO
DEV_BEACON_SEED = b"taochain dev beacon"  # public, like //Alice: dev and local presets only


@dataclasses.dataclass(frozen=True, slots=True)
class DrandSpec:
    """The beacon a chain follows (chain spec section `drand`).

    `beacon`: "quicknet" (drand's, pulses read from a file or an HTTP endpoint given to the node) or
    "local" (the authorities' own t-of-n threshold beacon in quicknet's scheme). A local beacon lists
    the public key of each authority's share (share i belongs to authorities[i-1]); `dev_seed` says
    the shares derive from the public DEV_BEACON_SEED (dev and local presets), otherwise each node
    is given its share in a file (`taochain testnet` deals them)."""

    beacon: str = "local"
    public_key: bytes = b""
    genesis_time: int = 0
    period: int = 3
    max_kept: int = 216_000
    threshold: int = 1
    share_public_keys: tuple[bytes, ...] = ()
    dev_seed: bool = False

    def runtime_config(self) -> DrandConfig:
        return DrandConfig(self.public_key, self.genesis_time, self.period, self.max_kept)

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "beacon": self.beacon,
            "publicKey": self.public_key.hex(),
            "genesisTime": self.genesis_time,
            "period": self.period,
            "maxKeptPulses": self.max_kept,
        }
        if self.beacon == "local":
            d.update(threshold=self.threshold, sharePublicKeys=[k.hex() for k in self.share_public_keys],
                     devSeed=self.dev_seed)
        return d

    @staticmethod
    def from_json(d: dict[str, Any], n_authorities: int) -> DrandSpec:
        """Parse and check the section; raises ValueError naming the bad field."""
        beacon = d.get("beacon", "local")
        if beacon == "quicknet":
            base = quicknet()
            return dataclasses.replace(base, max_kept=int(d.get("maxKeptPulses", base.max_kept)))
        if beacon != "local":
            raise ValueError("chain spec: drand.beacon must be 'quicknet' or 'local'")

        def key(x: Any, field: str) -> bytes:
            try:
                k = bytes.fromhex(str(x).removeprefix("0x"))
                bls.get_backend().g2(k)
            except (ValueError, bls.BlsError) as exc:
                raise ValueError(f"chain spec: {field} is not a compressed G2 public key ({exc})") from None
            return k

        spec = DrandSpec(
            beacon="local",
            public_key=key(d["publicKey"], "drand.publicKey"),
            genesis_time=int(d.get("genesisTime", 0)),
            period=int(d.get("period", 3)),
            max_kept=int(d.get("maxKeptPulses", 216_000)),
            threshold=int(d.get("threshold", 1)),
            share_public_keys=tuple(
                key(k, f"drand.sharePublicKeys[{i}]") for i, k in enumerate(d.get("sharePublicKeys", []))
            ),
            dev_seed=bool(d.get("devSeed", False)),
        )
        if spec.period < 1 or spec.genesis_time < 0 or spec.max_kept < 1:
            raise ValueError("chain spec: drand.period and drand.maxKeptPulses must be positive")
        if len(spec.share_public_keys) not in (0, n_authorities):
            raise ValueError("chain spec: drand.sharePublicKeys needs one key per authority")
        if not 1 <= spec.threshold <= max(1, len(spec.share_public_keys)):
            raise ValueError("chain spec: drand.threshold must be between 1 and the number of shares")
        return spec


def quicknet() -> DrandSpec:
    return DrandSpec("quicknet", bls.QUICKNET_PUBLIC_KEY, bls.QUICKNET_GENESIS_TIME, bls.QUICKNET_PERIOD)


def dev_beacon_coeffs(threshold: int) -> list[int]:
    """The public dev beacon's polynomial (coefficient 0 is the group secret)."""
    import hashlib

    return [
        int.from_bytes(hashlib.sha256(DEV_BEACON_SEED + b"/" + str(k).encode()).digest(), "big") % bls.R
        for k in range(threshold)
    ]


def local_beacon(coeffs: list[int], n: int, dev_seed: bool) -> DrandSpec:
    """A local t-of-n beacon dealt from `coeffs` (t = len(coeffs)); shares 1..n."""
    group_pk, _, share_pks = bls.deal_shares(coeffs, n)
    return DrandSpec("local", group_pk, 0, 3, 216_000, len(coeffs), tuple(share_pks), dev_seed)


def default_threshold(n: int) -> int:
    """A majority of the authorities: 3 of 4, 2 of 3, 1 of 1."""
    return n // 2 + 1


def dev_beacon(n: int) -> DrandSpec:
    t = default_threshold(n)
    return local_beacon(dev_beacon_coeffs(t), n, dev_seed=True)


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
    drand: DrandSpec = dataclasses.field(default_factory=lambda: dev_beacon(1))

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
            "drand": self.drand.to_json(),
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
                drand=DrandSpec.from_json(d["drand"], len(auths)) if "drand" in d else dev_beacon(len(auths)),
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
    return tuple((dev_keypair(n, SR25519).public, DEV_ENDOWMENT) for n in DEV_ACCOUNTS)


def dev() -> ChainSpec:
    return ChainSpec(
        name="Development",
        id="dev",
        chain_type="Development",
        slot_duration_ms=1000,
        authorities=(dev_keypair("Alice", ED25519).public,),
        sudo=dev_keypair("Alice", SR25519).public,
        balances=_dev_balances(),
        subtensor=SubtensorConfig.fast(),
        drand=dev_beacon(1),
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
        authorities=tuple(dev_keypair(n, ED25519).public for n in names),
        sudo=dev_keypair("Alice", SR25519).public,
        balances=_dev_balances(),
        subtensor=SubtensorConfig.fast(),
        drand=dev_beacon(len(names)),
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
