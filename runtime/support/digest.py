"""Header digest items (Substrate's `DigestItem`): a kind tag, a 4-byte consensus engine id and a
payload. The Aura pre-runtime item carries the block's slot; the seal item its author's signature.
Clients read them from `chain_getHeader`'s `digest.logs`.
"""

from __future__ import annotations

from typing import Any

from runtime.support.codec import U8, Bytes, CodecError, wire
from runtime.support.scale import ByteArrayS, BytesS, ScaleType, TypeDef, VariantDef, VecS
from runtime.support.scale import Field as ScaleField

# digest item kinds, Substrate's tags
DIGEST_OTHER, DIGEST_CONSENSUS, DIGEST_SEAL, DIGEST_PRE_RUNTIME = 0, 4, 5, 6
DIGEST_RUNTIME_ENVIRONMENT_UPDATED = 8
AURA_ENGINE = b"aura"
MAX_DIGEST_ITEMS = 64  # logs in one header
MAX_DIGEST_DATA = 64 * 1024  # bytes of one log's payload


@wire
class DigestItem:
    """One digest log: kind (Substrate tag), 4-byte engine id, payload."""

    kind: U8
    engine: Bytes
    data: Bytes


_ENGINE, _DATA = ByteArrayS(4), BytesS(MAX_DIGEST_DATA)
_WITH_ENGINE = (DIGEST_CONSENSUS, DIGEST_SEAL, DIGEST_PRE_RUNTIME)
_NAMES = {DIGEST_OTHER: "Other", DIGEST_CONSENSUS: "Consensus", DIGEST_SEAL: "Seal", DIGEST_PRE_RUNTIME: "PreRuntime",
          DIGEST_RUNTIME_ENVIRONMENT_UPDATED: "RuntimeEnvironmentUpdated"}


class DigestItemS(ScaleType):
    """sp_runtime's DigestItem in SCALE: the kind byte, then Other(Vec<u8>), Consensus / Seal /
    PreRuntime(4-byte engine id, Vec<u8>) or RuntimeEnvironmentUpdated (nothing)."""

    name = "DigestItem"
    min_size = 1

    def _enc(self, v: Any, out: bytearray) -> None:
        if not isinstance(v, DigestItem) or v.kind not in _NAMES:
            raise CodecError(f"DigestItem: not an encodable digest item: {v!r}")
        out.append(v.kind)
        if v.kind in _WITH_ENGINE:
            _ENGINE._enc(v.engine, out)
        elif v.engine:
            raise CodecError(f"DigestItem: a {_NAMES[v.kind]} item has no engine id")
        if v.kind == DIGEST_RUNTIME_ENVIRONMENT_UPDATED:
            if v.data:
                raise CodecError("DigestItem: RuntimeEnvironmentUpdated carries no data")
            return
        _DATA._enc(v.data, out)

    def _dec(self, data: bytes, pos: int) -> tuple[Any, int]:
        if pos >= len(data):
            raise CodecError("DigestItem: input ends before the kind")
        kind = data[pos]
        pos += 1
        if kind not in _NAMES:
            raise CodecError(f"DigestItem: unknown kind {kind}")
        engine = b""
        if kind in _WITH_ENGINE:
            engine, pos = _ENGINE._dec(data, pos)
        if kind == DIGEST_RUNTIME_ENVIRONMENT_UPDATED:
            return DigestItem(kind, b"", b""), pos
        payload, pos = _DATA._dec(data, pos)
        return DigestItem(kind, engine, payload), pos

    def type_def(self) -> TypeDef:
        fields = {k: (ScaleField(None, _ENGINE), ScaleField(None, _DATA)) for k in _WITH_ENGINE}
        fields[DIGEST_OTHER] = (ScaleField(None, _DATA),)
        fields[DIGEST_RUNTIME_ENVIRONMENT_UPDATED] = ()
        variants = tuple(VariantDef(_NAMES[k], k, fields[k]) for k in sorted(_NAMES))
        return TypeDef("variant", path=("sp_runtime", "generic", "digest", "DigestItem"), variants=variants)


DIGEST_ITEM = DigestItemS()
DIGEST_LOGS = VecS(DIGEST_ITEM, MAX_DIGEST_ITEMS)  # sp_runtime's Digest { logs: Vec<DigestItem> }


def aura_slot(items: tuple[DigestItem, ...] | list[DigestItem]) -> int | None:
    """The Aura slot of a header's digest (its pre-runtime item), or None."""
    for item in items:
        if item.kind == DIGEST_PRE_RUNTIME and item.engine == AURA_ENGINE:
            return int.from_bytes(item.data, "little") if len(item.data) == 8 else None
    return None


__all__ = [
    "AURA_ENGINE", "DIGEST_CONSENSUS", "DIGEST_ITEM", "DIGEST_LOGS", "DIGEST_OTHER", "DIGEST_PRE_RUNTIME",
    "DIGEST_RUNTIME_ENVIRONMENT_UPDATED", "DIGEST_SEAL", "DigestItem", "DigestItemS", "aura_slot",
]
