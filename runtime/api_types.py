"""The SCALE types of the runtime APIs `state_call` serves beside the pallets' own views, as
Substrate declares them, and their declarations for Metadata V15's runtime-API list.

`TransactionPaymentApi` (pallet-transaction-payment's runtime API, version 4):
- `query_info(uxt, len: u32) -> RuntimeDispatchInfo { weight: Weight { ref_time: Compact<u64>,
  proof_size: Compact<u64> }, class: DispatchClass, partial_fee: Balance }`
- `query_fee_details(uxt, len: u32) -> FeeDetails { inclusion_fee: Option<InclusionFee {
  base_fee, len_fee, adjusted_weight_fee }> }` (its `tip` is not encoded: `#[codec(skip)]`)
Balance is subtensor's u64. The values are tuples in field order.
"""

from __future__ import annotations

from typing import Any

from runtime.support.codec import CodecError
from runtime.support.scale import U32S, U64S, Field, OptionS, ScaleType, TupleS, TypeDef, VariantDef, compact


class NamedStruct(ScaleType):
    """A composite whose value is the tuple of its fields (Rust field names such as `class`)."""

    def __init__(self, path: tuple[str, ...], fields: tuple[tuple[str, ScaleType], ...]) -> None:
        self.path = path
        self.name = path[-1]
        self.fields = tuple(Field(n, t) for n, t in fields)
        self._tuple = TupleS([t for _, t in fields])
        self.min_size = self._tuple.min_size

    def _enc(self, v: Any, out: bytearray) -> None:
        self._tuple._enc(v, out)

    def _dec(self, data: bytes, pos: int) -> tuple[Any, int]:
        return self._tuple._dec(data, pos)

    def type_def(self) -> TypeDef:
        return TypeDef("composite", path=self.path, fields=self.fields)


class UnitEnum(ScaleType):
    """An enum of unit variants named `names` (index = position); the value is the index."""

    min_size = 1

    def __init__(self, path: tuple[str, ...], names: tuple[str, ...]) -> None:
        self.path = path
        self.name = path[-1]
        self.names = names

    def _enc(self, v: Any, out: bytearray) -> None:
        if type(v) is not int or not 0 <= v < len(self.names):
            raise CodecError(f"{self.name}: expected a variant index below {len(self.names)}, got {v!r}")
        out.append(v)

    def _dec(self, data: bytes, pos: int) -> tuple[Any, int]:
        if pos >= len(data) or data[pos] >= len(self.names):
            raise CodecError(f"{self.name}: missing or unknown variant index")
        return data[pos], pos + 1

    def type_def(self) -> TypeDef:
        return TypeDef("variant", path=self.path, variants=tuple(VariantDef(n, i) for i, n in enumerate(self.names)))


WEIGHT = NamedStruct(("sp_weights", "weight_v2", "Weight"), (("ref_time", compact(64)), ("proof_size", compact(64))))
DISPATCH_CLASS = UnitEnum(("frame_support", "dispatch", "DispatchClass"), ("Normal", "Operational", "Mandatory"))
NORMAL = 0
RUNTIME_DISPATCH_INFO = NamedStruct(
    ("pallet_transaction_payment", "types", "RuntimeDispatchInfo"),
    (("weight", WEIGHT), ("class", DISPATCH_CLASS), ("partial_fee", U64S)),
)
INCLUSION_FEE = NamedStruct(
    ("pallet_transaction_payment", "types", "InclusionFee"),
    (("base_fee", U64S), ("len_fee", U64S), ("adjusted_weight_fee", U64S)),
)
FEE_DETAILS = NamedStruct(
    ("pallet_transaction_payment", "types", "FeeDetails"), (("inclusion_fee", OptionS(INCLUSION_FEE)),)
)

EXTRINSIC = None  # a parameter of the runtime's extrinsic type (the metadata's UncheckedExtrinsic)

# (API, method, params (name, type or EXTRINSIC), result, doc) for Metadata V15's runtime-API list
METADATA_APIS: tuple[tuple[str, str, tuple[tuple[str, ScaleType | None], ...], ScaleType, str], ...] = (
    ("TransactionPaymentApi", "query_info", (("uxt", EXTRINSIC), ("len", U32S)), RUNTIME_DISPATCH_INFO,
     "The extrinsic's weight, class and fee without a tip, for an encoded length `len`."),
    ("TransactionPaymentApi", "query_fee_details", (("uxt", EXTRINSIC), ("len", U32S)), FEE_DETAILS,
     "The parts of the extrinsic's fee without a tip (none for an unsigned extrinsic)."),
)
