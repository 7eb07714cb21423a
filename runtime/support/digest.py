"""Header digest items (Substrate's `DigestItem`): a kind tag, a 4-byte consensus engine id and a
payload. The Aura pre-runtime item carries the block's slot; the seal item its author's signature.
Clients read them from `chain_getHeader`'s `digest.logs`.
"""

from __future__ import annotations

from runtime.support.codec import U8, Bytes, wire

# digest item kinds, Substrate's tags
DIGEST_OTHER, DIGEST_CONSENSUS, DIGEST_SEAL, DIGEST_PRE_RUNTIME = 0, 4, 5, 6
AURA_ENGINE = b"aura"


@wire
class DigestItem:
    """One digest log: kind (Substrate tag), 4-byte engine id, payload."""

    kind: U8
    engine: Bytes
    data: Bytes


def aura_slot(items: tuple[DigestItem, ...] | list[DigestItem]) -> int | None:
    """The Aura slot of a header's digest (its pre-runtime item), or None."""
    for item in items:
        if item.kind == DIGEST_PRE_RUNTIME and item.engine == AURA_ENGINE:
            return int.from_bytes(item.data, "little") if len(item.data) == 8 else None
    return None


__all__ = ["AURA_ENGINE", "DIGEST_CONSENSUS", "DIGEST_OTHER", "DIGEST_PRE_RUNTIME", "DIGEST_SEAL", "DigestItem", "aura_slot"]
