"""The messages nodes exchange once a secure connection is up (p2p knows messages, not pallets).

Every message travels as one encrypted frame holding `[kind, payload]` in the canonical codec;
`decode_message` is strict: an unknown kind, a wrong shape or any trailing byte raises CodecError,
which the receiver treats as bad data from that peer. Blocks and headers are carried as their
encoded bytes (the node decodes and verifies them); transactions as extrinsic bytes.

Kinds (stable numbers):
 1 Transactions     gossip: extrinsics the sender's pool accepted
 2 BlockAnnounce    gossip: a new block header (the sender has the block)
 3 BlockRequest     sync: ask for up to `max_blocks` blocks from `from_number` on the sender's best chain
 4 BlockResponse    sync: the blocks asked for, with their justifications (b"" where none)
 5 Vote             finality: a signed prevote or precommit of an authority
 6 Commit           finality: a finalized block with the precommits that justify it
 7 Neighbor         finality: the sender's round, set id and finalized height
 8 PeerAddrs        peer exchange: addresses (multiaddrs) of peers the sender knows
 9 GetPeers         peer exchange: ask for PeerAddrs
10 BeaconPartial    local beacon: an authority's partial BLS signature of a beacon round
11 AncestryRequest  sync: ask for the block `block_hash` and up to `max_blocks - 1` of its ancestors
                    (any fork: how a node fetches an announced block or one that votes reference);
                    answered by a BlockResponse, oldest first, ending at `block_hash`
"""

from __future__ import annotations

from typing import Annotated, Any

from runtime.support import codec
from runtime.support.codec import (
    U8,
    U32,
    U64,
    AccountId,
    Bool,
    Bytes64,
    BytesT,
    CodecError,
    Hash,
    TextT,
    wire,
)

MAX_MESSAGE = 16 * 1024 * 1024  # bytes of one decoded message (the frame limit is the same)
MAX_BLOCKS_PER_REQUEST = 256
MAX_TXS_PER_MESSAGE = 4096

Blob = Annotated[bytes, BytesT(max_len=MAX_MESSAGE)]
Addr = Annotated[str, TextT(256)]

PREVOTE, PRECOMMIT = 0, 1


@wire
class Transactions:
    txs: tuple[Blob, ...]


@wire
class BlockAnnounce:
    header: Blob  # the encoded header (seal included)
    is_best: Bool


@wire
class BlockRequest:
    request_id: U64
    from_number: U64
    max_blocks: U32


@wire
class AncestryRequest:
    request_id: U64
    block_hash: Hash
    max_blocks: U32


@wire
class BlockResponse:
    request_id: U64
    blocks: tuple[Blob, ...]  # encoded blocks, ascending
    justifications: tuple[Blob, ...]  # encoded Commit per block, b"" where none


@wire
class Vote:
    """An authority's vote in a finality round, signed over `vote_payload(...)`."""

    round: U64
    set_id: U64
    kind: U8  # PREVOTE or PRECOMMIT
    target_hash: Hash
    target_number: U64
    voter: AccountId
    signature: Bytes64


@wire
class SignedPrecommit:
    target_hash: Hash
    target_number: U64
    voter: AccountId
    signature: Bytes64


@wire
class Commit:
    """A justification: the precommits (of more than 2/3 of the set) that finalize the target."""

    round: U64
    set_id: U64
    target_hash: Hash
    target_number: U64
    precommits: tuple[SignedPrecommit, ...]


@wire
class Neighbor:
    round: U64
    set_id: U64
    finalized_number: U64


@wire
class PeerAddrs:
    addrs: tuple[Addr, ...]


@wire
class GetPeers:
    limit: U32


G1Sig = Annotated[bytes, BytesT(48)]


@wire
class BeaconPartial:
    """Share `index`'s (1-based) partial signature of a local beacon's round (node/beacon.py)."""

    round: U64
    index: U32
    signature: G1Sig  # a compressed G1 point: the share's BLS signature of sha256(u64be(round))


KINDS: dict[int, type] = {
    1: Transactions,
    2: BlockAnnounce,
    3: BlockRequest,
    4: BlockResponse,
    5: Vote,
    6: Commit,
    7: Neighbor,
    8: PeerAddrs,
    9: GetPeers,
    10: BeaconPartial,
    11: AncestryRequest,
}
KIND_OF: dict[type, int] = {v: k for k, v in KINDS.items()}


def encode_message(msg: Any) -> bytes:
    kind = KIND_OF.get(type(msg))
    if kind is None:
        raise CodecError(f"not a p2p message: {type(msg).__name__}")
    return codec.encode([kind, codec.to_wire(msg)])


def decode_message(data: bytes) -> Any:
    """A message from untrusted bytes; every problem is a CodecError."""
    w = codec.decode(data, MAX_MESSAGE)
    if type(w) is not list or len(w) != 2 or type(w[0]) is not int:
        raise CodecError("p2p message: expected [kind, payload]")
    cls = KINDS.get(w[0])
    if cls is None:
        raise CodecError(f"p2p message: unknown kind {w[0]}")
    try:
        return codec.from_wire(cls, w[1])
    except CodecError:
        raise
    except (TypeError, ValueError) as exc:
        raise CodecError(f"{cls.__name__}: {exc}") from None
