"""Substrate's runtime metadata (V14 and V15) as SCALE: the format, its portable type registry, and
the standard Substrate types (addresses, signatures, era, extensions) a client needs in it.

The metadata format itself is declared here as dataclasses with SCALE annotations, so the same
declarations encode it (`encode_metadata`) and decode it strictly (`decode_metadata`): a reader of
our own for V15, which outside Python libraries do not all decode yet.

`TypeRegistry` is scale-info's `PortableRegistry`: it walks `ScaleType` objects (runtime/support/
scale.py), each distinct type once, with its id, path, params, definition and docs. Types are
deduplicated by structure (primitives, sequences, arrays, tuples, compacts by what they hold;
composites and variants by path and params), and a type that reaches itself (a call holding a call)
gets its id before its fields are walked. A second, different definition under a taken path is an
error, never a silent merge. `Described` is a ScaleType given by its description only (outer enums,
pallet calls with docs, the extrinsic's types): metadata needs their shape, not their codec.

Pure and deterministic: the registry numbers types in the order they are first reached.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from enum import IntEnum
from typing import Annotated, Any

from .codec import CodecError
from .extrinsic_v4 import DEFAULT_EXTENSIONS
from .extrinsic_v4 import ERA as EXTRINSIC_ERA
from .scale import ACCOUNT_ID32 as SCALE_ACCOUNT_ID32
from .scale import (
    U8S,
    U32S,
    ByteArrayS,
    BytesS,
    CompactS,
    CompactU32,
    EnumS,
    OptionS,
    ScaleType,
    StrS,
    TupleS,
    TypeDef,
    VecS,
    composite_of,
)

MAGIC = b"meta"
EXTRINSIC_VERSION = 4

# --------------------------------------------------------------------------- SCALE field types

_TEXT = StrS(1 << 16)
Str = Annotated[str, _TEXT]
Docs = Annotated[tuple, VecS(_TEXT, 1 << 12)]
TypeId = CompactU32
OptStr = Annotated[Any, OptionS(_TEXT)]
OptTypeId = Annotated[Any, OptionS(CompactS(32))]
RawBytes = Annotated[bytes, BytesS(1 << 24)]
U8F = Annotated[int, U8S]
U32F = Annotated[int, U32S]


def _vec(cls: type, max_len: int = 1 << 16) -> Any:
    return Annotated[tuple, VecS(composite_of(cls), max_len)]


def _enum(name: str, *variants: type) -> EnumS:
    return EnumS(name, list(enumerate(variants)))


# --------------------------------------------------------------------------- the portable registry format


@dataclasses.dataclass(frozen=True, slots=True)
class FieldMeta:
    """A field of a composite or of a variant: name (None if unnamed), type id, type name, docs."""

    name: OptStr
    type: TypeId
    type_name: OptStr
    docs: Docs = ()


FieldsT = Annotated[tuple, VecS(composite_of(FieldMeta), 1 << 12)]


@dataclasses.dataclass(frozen=True, slots=True)
class VariantMeta:
    name: Str
    fields: FieldsT
    index: U8F
    docs: Docs = ()


@dataclasses.dataclass(frozen=True, slots=True)
class DefComposite:
    fields: FieldsT


@dataclasses.dataclass(frozen=True, slots=True)
class DefVariant:
    variants: Annotated[tuple, VecS(composite_of(VariantMeta), 256)]


@dataclasses.dataclass(frozen=True, slots=True)
class DefSequence:
    type_param: TypeId


@dataclasses.dataclass(frozen=True, slots=True)
class DefArray:
    len: U32F
    type_param: TypeId


@dataclasses.dataclass(frozen=True, slots=True)
class DefTuple:
    fields: Annotated[tuple, VecS(CompactS(32), 1 << 12)]


class Primitive(IntEnum):
    """scale-info's TypeDefPrimitive, in its order (the signed ones follow; none is used here)."""

    bool = 0
    char = 1
    str = 2
    u8 = 3
    u16 = 4
    u32 = 5
    u64 = 6
    u128 = 7
    u256 = 8


@dataclasses.dataclass(frozen=True, slots=True)
class DefPrimitive:
    primitive: Primitive


@dataclasses.dataclass(frozen=True, slots=True)
class DefCompact:
    type_param: TypeId


TYPE_DEF = _enum("TypeDef", DefComposite, DefVariant, DefSequence, DefArray, DefTuple, DefPrimitive, DefCompact)


@dataclasses.dataclass(frozen=True, slots=True)
class TypeParameter:
    name: Str
    type: OptTypeId


@dataclasses.dataclass(frozen=True, slots=True)
class PortableType:
    """One registry entry: its id (its position), path, generic params, definition, docs."""

    id: TypeId
    path: Annotated[tuple, VecS(_TEXT, 64)]
    params: Annotated[tuple, VecS(composite_of(TypeParameter), 64)]
    type_def: Annotated[Any, TYPE_DEF]
    docs: Docs = ()


TypesT = Annotated[tuple, VecS(composite_of(PortableType), 1 << 16)]

# --------------------------------------------------------------------------- pallets, storage, extrinsic


class StorageHasher(IntEnum):
    Blake2_128 = 0
    Blake2_256 = 1
    Blake2_128Concat = 2
    Twox128 = 3
    Twox256 = 4
    Twox64Concat = 5
    Identity = 6


class StorageModifier(IntEnum):
    Optional = 0  # an absent key reads as None
    Default = 1  # an absent key reads as the entry's default


@dataclasses.dataclass(frozen=True, slots=True)
class EntryPlain:
    value: TypeId


@dataclasses.dataclass(frozen=True, slots=True)
class EntryMap:
    hashers: tuple[StorageHasher, ...]
    key: TypeId
    value: TypeId


ENTRY_TYPE = EnumS("StorageEntryType", [(0, EntryPlain), (1, EntryMap)])


@dataclasses.dataclass(frozen=True, slots=True)
class StorageEntry:
    name: Str
    modifier: StorageModifier
    type: Annotated[Any, ENTRY_TYPE]
    default: RawBytes
    docs: Docs = ()


@dataclasses.dataclass(frozen=True, slots=True)
class PalletStorage:
    prefix: Str
    entries: Annotated[tuple, VecS(composite_of(StorageEntry), 1 << 12)]


@dataclasses.dataclass(frozen=True, slots=True)
class TypeRef:
    """PalletCallMetadata, PalletEventMetadata, PalletErrorMetadata: one type id each."""

    ty: TypeId


@dataclasses.dataclass(frozen=True, slots=True)
class PalletConstant:
    name: Str
    ty: TypeId
    value: RawBytes
    docs: Docs = ()


OptStorage = Annotated[Any, OptionS(composite_of(PalletStorage))]
OptRef = Annotated[Any, OptionS(composite_of(TypeRef))]
ConstantsT = Annotated[tuple, VecS(composite_of(PalletConstant), 1 << 12)]


@dataclasses.dataclass(frozen=True, slots=True)
class PalletV14:
    name: Str
    storage: OptStorage
    calls: OptRef
    event: OptRef
    constants: ConstantsT
    error: OptRef
    index: U8F


@dataclasses.dataclass(frozen=True, slots=True)
class PalletV15:
    name: Str
    storage: OptStorage
    calls: OptRef
    event: OptRef
    constants: ConstantsT
    error: OptRef
    index: U8F
    docs: Docs = ()


@dataclasses.dataclass(frozen=True, slots=True)
class SignedExtension:
    """One transaction extension: its explicit part's type and its implicit (signed-only) part's."""

    identifier: Str
    ty: TypeId
    additional_signed: TypeId


ExtensionsT = Annotated[tuple, VecS(composite_of(SignedExtension), 64)]


@dataclasses.dataclass(frozen=True, slots=True)
class ExtrinsicV14:
    ty: TypeId
    version: U8F
    signed_extensions: ExtensionsT


@dataclasses.dataclass(frozen=True, slots=True)
class ExtrinsicV15:
    version: U8F
    address_ty: TypeId
    call_ty: TypeId
    signature_ty: TypeId
    extra_ty: TypeId
    signed_extensions: ExtensionsT


@dataclasses.dataclass(frozen=True, slots=True)
class ApiParam:
    name: Str
    ty: TypeId


@dataclasses.dataclass(frozen=True, slots=True)
class ApiMethod:
    name: Str
    inputs: Annotated[tuple, VecS(composite_of(ApiParam), 64)]
    output: TypeId
    docs: Docs = ()


@dataclasses.dataclass(frozen=True, slots=True)
class RuntimeApiMeta:
    """A runtime API trait (e.g. SubnetInfoRuntimeApi) and its methods."""

    name: Str
    methods: Annotated[tuple, VecS(composite_of(ApiMethod), 1 << 10)]
    docs: Docs = ()


@dataclasses.dataclass(frozen=True, slots=True)
class OuterEnums:
    call_enum_ty: TypeId
    event_enum_ty: TypeId
    error_enum_ty: TypeId


@dataclasses.dataclass(frozen=True, slots=True)
class CustomValue:
    ty: TypeId
    value: RawBytes


@dataclasses.dataclass(frozen=True, slots=True)
class CustomEntry:
    """One entry of V15's custom map (a BTreeMap: entries sorted by name)."""

    name: Str
    value: CustomValue


@dataclasses.dataclass(frozen=True, slots=True)
class MetadataV14:
    types: TypesT
    pallets: Annotated[tuple, VecS(composite_of(PalletV14), 256)]
    extrinsic: ExtrinsicV14
    ty: TypeId


@dataclasses.dataclass(frozen=True, slots=True)
class MetadataV15:
    types: TypesT
    pallets: Annotated[tuple, VecS(composite_of(PalletV15), 256)]
    extrinsic: ExtrinsicV15
    ty: TypeId
    apis: Annotated[tuple, VecS(composite_of(RuntimeApiMeta), 1 << 10)]
    outer_enums: OuterEnums
    custom: Annotated[tuple, VecS(composite_of(CustomEntry), 1 << 10)] = ()


_VERSIONS: dict[int, type] = {14: MetadataV14, 15: MetadataV15}


def encode_metadata(md: MetadataV14 | MetadataV15) -> bytes:
    """`RuntimeMetadataPrefixed`: b"meta", the version (the RuntimeMetadata variant index), the body."""
    version = 14 if isinstance(md, MetadataV14) else 15
    return MAGIC + bytes((version,)) + composite_of(type(md)).encode(md)


def decode_metadata(data: bytes) -> MetadataV14 | MetadataV15:
    """Decode prefixed V14 or V15 metadata strictly; every problem is a CodecError."""
    if not isinstance(data, bytes | bytearray) or len(data) < 5 or bytes(data[:4]) != MAGIC:
        raise CodecError("metadata: input does not start with the b'meta' magic")
    cls = _VERSIONS.get(data[4])
    if cls is None:
        raise CodecError(f"metadata: version {data[4]} is not 14 or 15")
    return composite_of(cls).decode(bytes(data[5:]), max_size=1 << 26)  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- described types


@dataclasses.dataclass(frozen=True, slots=True)
class MField:
    """A field as the registry lists it: its ScaleType, plus the Rust-side type name and docs."""

    name: str | None
    type: ScaleType
    type_name: str | None = None
    docs: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True, slots=True)
class MVariant:
    name: str
    index: int
    fields: tuple[MField, ...] = ()
    docs: tuple[str, ...] = ()


class Described(ScaleType):
    """A type known by its description only (kind "composite" or "variant"): metadata lists it,
    nothing here encodes it. Its variants may be filled after it is created (an outer call enum
    whose pallets' calls hold it)."""

    def __init__(
        self,
        kind: str,
        path: Sequence[str],
        fields: Sequence[MField] = (),
        variants: Sequence[MVariant] = (),
        params: Sequence[tuple[str, ScaleType | None]] = (),
        docs: Sequence[str] = (),
    ) -> None:
        if kind not in ("composite", "variant"):
            raise TypeError(f"a described type is a composite or a variant, not {kind!r}")
        self.kind = kind
        self.path = tuple(path)
        self.fields = tuple(fields)
        self.variants = tuple(variants)
        self.params = tuple(params)
        self.docs = tuple(docs)
        self.name = self.path[-1] if self.path else kind

    def _enc(self, v: Any, out: bytearray) -> None:
        raise CodecError(f"{self.name}: a described type has no codec here")

    def _dec(self, data: bytes, pos: int) -> tuple[Any, int]:
        raise CodecError(f"{self.name}: a described type has no codec here")

    def type_def(self) -> TypeDef:
        raise TypeError(f"{self.name}: read a described type through TypeRegistry")


def doc_lines(text: str | None) -> tuple[str, ...]:
    """A docstring as metadata docs: its lines, stripped, without the blank ones at the ends."""
    lines = [ln.strip() for ln in (text or "").strip().splitlines()]
    return tuple(lines)


class TypeRegistry:
    """scale-info's PortableRegistry, built by walking ScaleTypes: `id_of(t)` gives t's type id,
    registering it (and what it holds) on first sight; `types()` lists them in id order."""

    def __init__(self) -> None:
        self._types: list[PortableType | None] = []
        self._by_obj: dict[ScaleType, int] = {}
        self._by_key: dict[tuple, int] = {}
        self._first: dict[int, ScaleType] = {}

    def types(self) -> tuple[PortableType, ...]:
        if any(t is None for t in self._types):
            raise TypeError("the registry is still being built")
        return tuple(t for t in self._types if t is not None)

    def id_of(self, st: ScaleType) -> int:
        got = self._by_obj.get(st)
        if got is not None:
            return got
        if not isinstance(st, ScaleType):
            raise TypeError(f"not a ScaleType: {st!r}")
        if isinstance(st, Described):
            kind, path, params = st.kind, st.path, st.params
            td = None
        else:
            td = st.type_def()
            kind, path = td.kind, td.path
            params = tuple(("T" if len(td.params) == 1 else f"T{i}", p) for i, p in enumerate(td.params))
        param_ids = tuple((n, None if p is None else self.id_of(p)) for n, p in params)
        if kind in ("composite", "variant"):
            # named types by path and params; an unnamed one is its own type
            key: tuple = (kind, path, param_ids) if path else (kind, "anonymous", len(self._types))
            body = None
        else:
            assert td is not None
            body = self._structural(td)
            key = (kind, body)
        tid = self._by_key.get(key)
        if tid is not None:
            self._by_obj[st] = tid
            if body is None and self._types[tid] is not None and self._first[tid] is not st:
                if self._definition(st, td) != self._types[tid].type_def:  # type: ignore[union-attr]
                    raise TypeError(f"two different types share the path {'::'.join(path)}")
            return tid
        tid = len(self._types)
        self._types.append(None)
        self._by_key[key] = tid
        self._by_obj[st] = tid
        self._first[tid] = st
        type_def = self._definition(st, td) if body is None else self._def_of_body(kind, body)
        docs = st.docs if isinstance(st, Described) else _type_docs(st)
        self._types[tid] = PortableType(
            tid, path, tuple(TypeParameter(n, i) for n, i in param_ids), type_def, docs,
        )
        return tid

    # -- structural types: their key is their definition
    def _structural(self, td: TypeDef) -> tuple:
        if td.kind == "primitive":
            return (td.primitive,)
        if td.kind == "array":
            return (td.length, self.id_of(td.inner[0]))
        return tuple(self.id_of(t) for t in td.inner)

    @staticmethod
    def _def_of_body(kind: str, body: tuple) -> Any:
        if kind == "primitive":
            return DefPrimitive(Primitive[body[0]])
        if kind == "compact":
            return DefCompact(body[0])
        if kind == "sequence":
            return DefSequence(body[0])
        if kind == "array":
            return DefArray(body[0], body[1])
        if kind == "tuple":
            return DefTuple(body)
        raise TypeError(f"unknown type kind {kind!r}")

    # -- composites and variants
    def _fields(self, fields: Sequence[MField]) -> tuple[FieldMeta, ...]:
        """A Python field named after a keyword (`from_`, `class_`) is listed under the Rust name."""
        return tuple(
            FieldMeta(f.name if f.name is None else f.name.rstrip("_"), self.id_of(f.type), f.type_name, f.docs)
            for f in fields
        )

    def _definition(self, st: ScaleType, td: TypeDef | None) -> Any:
        if isinstance(st, Described):
            if st.kind == "composite":
                return DefComposite(self._fields(st.fields))
            return DefVariant(tuple(
                VariantMeta(v.name, self._fields(v.fields), v.index, v.docs)
                for v in sorted(st.variants, key=lambda v: v.index)
            ))
        assert td is not None
        if td.kind == "composite":
            return DefComposite(self._fields([MField(f.name, f.type, f.type.name) for f in td.fields]))
        return DefVariant(tuple(
            VariantMeta(v.name, self._fields([MField(f.name, f.type, f.type.name) for f in v.fields]), v.index)
            for v in td.variants
        ))


def _type_docs(st: ScaleType) -> tuple[str, ...]:
    cls = getattr(st, "cls", None)
    return class_docs(cls) if isinstance(cls, type) else ()


def class_docs(cls: type) -> tuple[str, ...]:
    """A class's docstring as metadata docs; none for a dataclass without one (its generated
    signature is not a doc)."""
    doc = cls.__doc__
    if doc is None or (dataclasses.is_dataclass(cls) and doc.startswith(f"{cls.__name__}(")):
        return ()
    return doc_lines(doc)


# --------------------------------------------------------------------------- Substrate's standard types

UNIT = TupleS(())
H256 = Described("composite", ("primitive_types", "H256"), [MField(None, ByteArrayS(32), "[u8; 32]")])
ACCOUNT_ID32 = SCALE_ACCOUNT_ID32  # a real codec: storage keys and call arguments use it
ACCOUNT_INDEX = U32S
MULTI_ADDRESS = Described(
    "variant", ("sp_runtime", "multiaddress", "MultiAddress"),
    variants=[
        MVariant("Id", 0, (MField(None, ACCOUNT_ID32, "AccountId"),)),
        MVariant("Index", 1, (MField(None, CompactS(32), "AccountIndex"),)),
        MVariant("Raw", 2, (MField(None, BytesS(), "Vec<u8>"),)),
        MVariant("Address32", 3, (MField(None, ByteArrayS(32), "[u8; 32]"),)),
        MVariant("Address20", 4, (MField(None, ByteArrayS(20), "[u8; 20]"),)),
    ],
    params=[("AccountId", ACCOUNT_ID32), ("AccountIndex", ACCOUNT_INDEX)],
)


def _signature(scheme: str, size: int) -> Described:
    return Described("composite", ("sp_core", scheme, "Signature"), [MField(None, ByteArrayS(size), f"[u8; {size}]")])


MULTI_SIGNATURE = Described(
    "variant", ("sp_runtime", "MultiSignature"),
    variants=[
        MVariant("Ed25519", 0, (MField(None, _signature("ed25519", 64), "ed25519::Signature"),)),
        MVariant("Sr25519", 1, (MField(None, _signature("sr25519", 64), "sr25519::Signature"),)),
        MVariant("Ecdsa", 2, (MField(None, _signature("ecdsa", 65), "ecdsa::Signature"),)),
    ],
)
# the mortality (Immortal, or Mortal{N}(low byte)) as the extrinsic format declares it
ERA = EXTRINSIC_ERA
METADATA_HASH_MODE = Described(
    "variant", ("frame_metadata_hash_extension", "Mode"), variants=[MVariant("Disabled", 0), MVariant("Enabled", 1)],
)


def _extension(path: Sequence[str], *fields: MField) -> Described:
    return Described("composite", path, fields)


def signed_extensions(balance_bits: int = 64, nonce_bits: int = 32) -> tuple[tuple[str, ScaleType, ScaleType], ...]:
    """The transaction extensions as metadata lists them: (identifier, explicit type, implicit
    (additional signed) type), in the order of the extrinsic format's own list
    (`extrinsic_v4.DEFAULT_EXTENSIONS`, the one declaration of which extensions there are); here
    each explicit part gets its Substrate path and field type name, the form clients read."""
    fs = ("frame_system", "extensions")
    described: dict[str, tuple[Described, ScaleType]] = {
        "CheckNonZeroSender": (_extension((*fs, "check_non_zero_sender", "CheckNonZeroSender")), UNIT),
        "CheckSpecVersion": (_extension((*fs, "check_spec_version", "CheckSpecVersion")), U32S),
        "CheckTxVersion": (_extension((*fs, "check_tx_version", "CheckTxVersion")), U32S),
        "CheckGenesis": (_extension((*fs, "check_genesis", "CheckGenesis")), H256),
        "CheckMortality": (_extension((*fs, "check_mortality", "CheckMortality"), MField(None, ERA, "Era")), H256),
        "CheckNonce": (_extension((*fs, "check_nonce", "CheckNonce"), MField(None, CompactS(nonce_bits), "T::Nonce")),
                       UNIT),
        "CheckWeight": (_extension((*fs, "check_weight", "CheckWeight")), UNIT),
        "ChargeTransactionPayment": (_extension(
            ("pallet_transaction_payment", "ChargeTransactionPayment"),
            MField(None, CompactS(balance_bits), "BalanceOf<T>")), UNIT),
        "CheckMetadataHash": (_extension(
            ("frame_metadata_hash_extension", "CheckMetadataHash"), MField("mode", METADATA_HASH_MODE, "Mode")),
            OptionS(ByteArrayS(32))),
    }
    return tuple((ext.identifier, *described[ext.identifier]) for ext in DEFAULT_EXTENSIONS)


def unchecked_extrinsic(address: ScaleType, call: ScaleType, signature: ScaleType, extra: ScaleType) -> Described:
    """The extrinsic type: its params name the address, call, signature and extra types clients use."""
    return Described(
        "composite", ("sp_runtime", "generic", "unchecked_extrinsic", "UncheckedExtrinsic"),
        [MField(None, BytesS(), "Vec<u8>")],
        params=[("Address", address), ("Call", call), ("Signature", signature), ("Extra", extra)],
    )


__all__ = [
    "ACCOUNT_ID32", "ERA", "EXTRINSIC_VERSION", "H256", "MAGIC", "MULTI_ADDRESS", "MULTI_SIGNATURE", "UNIT",
    "Described", "MField", "class_docs", "MVariant", "MetadataV14", "MetadataV15", "TypeRegistry", "decode_metadata",
    "doc_lines", "encode_metadata", "signed_extensions", "unchecked_extrinsic",
]
