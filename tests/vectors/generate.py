"""Regenerate tests/vectors/golden.json. Run: .venv/bin/python tests/vectors/generate.py

Review the diff when a vector moves: a changed vector means a consensus change."""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent.parent), str(HERE.parent)]

from scripted import scripted_chain  # noqa: E402

from runtime.block import Header, aura_digest  # noqa: E402
from runtime.support import tx  # noqa: E402
from runtime.support.hashing import storage_prefix  # noqa: E402
from runtime.support.keys import SR25519, dev_keypair  # noqa: E402


def sample(t):
    """A deterministic sample value of a wire type (for per-type golden bytes)."""
    from runtime.support import codec
    from runtime.support.dispatch import CallT, IntEnumT

    if isinstance(t, codec.UInt):
        return min(t.max, 0x0102030405060708090A0B0C0D0E0F10) if t.bits > 8 else 7
    if isinstance(t, codec.BoolT):
        return True
    if isinstance(t, codec.BytesT):
        return bytes(range(t.size)) if t.size is not None else b"\xab\xcd"
    if isinstance(t, codec.TextT):
        return "taochain"
    if isinstance(t, codec.UIntListT):
        return (1, min(t.max, 0x0102030405060708))
    if isinstance(t, codec.BoolListT):
        return (True, False)
    if isinstance(t, codec.U16PairsT):
        return codec.pack_pairs([(1, 65535), (3, 7)])
    if isinstance(t, codec.ListT):
        return (sample(t.item),)
    if isinstance(t, codec.OptionT):
        return sample(t.item)
    if isinstance(t, IntEnumT):
        return max(t.cls)
    if isinstance(t, CallT):
        from runtime.support.dispatch import Call

        return Call(5, 3, (b"\x01" * 32, 5))
    if isinstance(t, codec.StructT):
        return sample_obj(t.cls)
    raise TypeError(t)


def sample_obj(cls):
    from runtime.support.codec import fields_of
    from runtime.support.dispatch import DispatchErrorCode, DispatchErrorKind

    if cls is DispatchErrorCode:  # a Module error: the other fields only go with their variants
        return DispatchErrorCode(int(DispatchErrorKind.Module), sample_obj(fields_of(cls)[1][1].item.cls))
    return cls(*[sample(t) for _, t in fields_of(cls)])


PROJECT = ("runtime", "pallets", "node", "p2p", "taochain")


def import_project() -> None:
    """Import every module of the project, so that every wire type is registered."""
    import importlib
    import pkgutil

    for pkg_name in PROJECT:
        pkg = importlib.import_module(pkg_name)
        for info in pkgutil.walk_packages(pkg.__path__, prefix=pkg_name + "."):
            importlib.import_module(info.name)


def wire_type_vectors() -> dict:
    from runtime.support.codec import WIRE_TYPES, encode_obj

    import_project()
    return {f"{c.__module__}.{c.__qualname__}": "0x" + encode_obj(sample_obj(c)).hex() for c in WIRE_TYPES if c.__module__.split(".")[0] in PROJECT}


def build() -> dict:
    chain = scripted_chain(100)
    # ed25519 signatures are deterministic (sr25519 ones are randomized: no golden bytes of those)
    alice, bob = dev_keypair("Alice", scheme="ed25519"), dev_keypair("Bob", scheme="ed25519")
    call = chain.encode_call(chain.call("Balances", "transfer_keep_alive", bob.public, 12345))
    v = chain.runtime.VERSION
    era = tx.Era.mortal(64, 100)  # signed at block 100 for the blocks after it
    sys_acct = chain.runtime.system.Account
    return {
        "genesis_hash": "0x" + chain.genesis_hash.hex(),
        "block_100_hash": "0x" + chain.head.hash().hex(),
        "block_100_state_root": "0x" + chain.head.state_root.hex(),
        "call_transfer_keep_alive": "0x" + call.hex(),
        "signed_transfer": "0x" + tx.sign_extrinsic(
            alice, call, nonce=7, genesis_hash=chain.genesis_hash, spec_version=v.spec_version,
            tx_version=v.transaction_version, tip=3,
        ).hex(),
        "signed_transfer_mortal": "0x" + tx.sign_extrinsic(
            alice, call, nonce=7, genesis_hash=chain.genesis_hash, spec_version=v.spec_version,
            tx_version=v.transaction_version, era=era, birth_hash=chain.by_number[era.birth(101)],
        ).hex(),
        "inherent_timestamp_set": "0x" + tx.encode_unsigned(chain.encode_call(chain.call("Timestamp", "set", 6000))).hex(),
        "header": "0x" + Header(b"\x01" * 32, 9, b"\x02" * 32, b"\x03" * 32, aura_digest(42), b"").encode().hex(),
        "storage_key_system_account_alice": "0x" + sys_acct.key(dev_keypair("Alice", SR25519).public).hex(),
        "storage_prefix_balances_total_issuance": "0x" + storage_prefix("Balances", "TotalIssuance").hex(),
        "wire_types": wire_type_vectors(),
    }


if __name__ == "__main__":
    out = HERE / "golden.json"
    out.write_text(json.dumps(build(), indent=2) + "\n")
    print(f"wrote {out}")
