"""The runtime's Metadata V14 and V15 in SCALE, generated from the pallet declarations.

What a Substrate client reads to learn the chain: every pallet in index order with its storage
(prefix = the pallet's name; each item's hashers, key and value types, modifier and default),
its calls (one variant type per pallet: variant index = call index, fields = the named arguments),
its events and its errors (with their docs), its constants; the outer enums `RuntimeCall`,
`RuntimeEvent`, `RuntimeError` (one variant per pallet, index = pallet index); the extrinsic
(version 4, MultiAddress, MultiSignature, the transaction extensions modelled on subtensor's); and,
in V15, the runtime APIs of `Runtime.apis`. The format and the registry are runtime/support/
metadata.py; this module reads the pallets through the Runtime object only.

Each storage entry declares the very ScaleTypes its item stores with (`item.value_scale`,
`key_scale`...), so `state_getStorage` bytes decode with the metadata's types; System.Events,
whose bytes the executive pre-encodes, is declared as `Vec<frame_system::EventRecord>` over this
RuntimeEvent. Storage items that declare a default (or an Option value type) are `Default` entries
whose default is that value's SCALE bytes; an item without one is an `Optional` entry (absent = None).

Runtime-API view records are dataclasses whose fields are plain `int` today: they are listed as
u64 (a top-level `int` result takes the width its declaration names, e.g. u32), `bytes` as
Vec<u8>, and a value typed `Any` as opaque Vec<u8>. A later change gives the records exact widths.

`metadata_v14(runtime)` / `metadata_v15(runtime)` give the prefixed bytes, computed once per
runtime. Nothing here changes `Runtime.metadata()` (the JSON form) or any RPC.
"""

from __future__ import annotations

import dataclasses
import typing
import weakref
from enum import IntEnum
from typing import Annotated, Any

from runtime.api_types import EXTRINSIC, METADATA_APIS
from runtime.support.api import AccountId, AccountParam
from runtime.support.codec import OptionT, WireType
from runtime.support.digest import DIGEST_ITEM
from runtime.support.metadata import (
    ACCOUNT_ID32,
    EXTRINSIC_VERSION,
    H256,
    MULTI_ADDRESS,
    MULTI_SIGNATURE,
    ApiMethod,
    ApiParam,
    Described,
    EntryMap,
    EntryPlain,
    ExtrinsicV14,
    ExtrinsicV15,
    MetadataV14,
    MetadataV15,
    MField,
    MVariant,
    OuterEnums,
    PalletConstant,
    PalletStorage,
    PalletV14,
    PalletV15,
    RuntimeApiMeta,
    SignedExtension,
    StorageEntry,
    StorageHasher,
    StorageModifier,
    TypeRef,
    TypeRegistry,
    class_docs,
    doc_lines,
    encode_metadata,
    signed_extensions,
    unchecked_extrinsic,
)
from runtime.support.scale import (
    BOOL,
    BYTES,
    STRING,
    U64S,
    EncodedS,
    OptionS,
    ScaleType,
    TupleS,
    VecS,
    composite_of,
    scale_type_of,
    uint,
)
from runtime.support.scale_outer import MAX_TOPICS, PHASE, call_arg_type

RUNTIME_PATH = "taochain_runtime"
BALANCE_BITS = 64  # Balance is u64 rao
NONCE_BITS = 32

_CACHE: weakref.WeakKeyDictionary[Any, dict[int, bytes]] = weakref.WeakKeyDictionary()


def metadata_versions() -> list[int]:
    """The metadata versions this runtime serves (`Metadata_metadata_versions`)."""
    return [14, 15]


def metadata_v14(runtime: Any) -> bytes:
    """`RuntimeMetadataPrefixed` V14 of `runtime` (b"meta", 14, the body); computed once."""
    return _cached(runtime, 14)


def metadata_v15(runtime: Any) -> bytes:
    """`RuntimeMetadataPrefixed` V15 of `runtime` (b"meta", 15, the body); computed once."""
    return _cached(runtime, 15)


def _cached(runtime: Any, version: int) -> bytes:
    per = _CACHE.get(runtime)
    if per is None:
        per = _CACHE[runtime] = {}
    got = per.get(version)
    if got is None:
        got = per[version] = encode_metadata(build(runtime, version))
    return got


def snake(name: str) -> str:
    """"SubtensorModule" -> "subtensor_module"."""
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i > 0 and not name[i - 1].isupper():
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


def owns_errors(pallet: Any) -> bool:
    """Whether the pallet declares its own Error enum (others share System's)."""
    return getattr(pallet.Error, "pallet_index", None) == pallet.INDEX


def storage_default(item: Any) -> tuple[StorageModifier, bytes]:
    """The entry's modifier and default bytes (see the module doc)."""
    if item.default is None and not isinstance(item.value_type, OptionT):
        return StorageModifier.Optional, b"\x00"
    return StorageModifier.Default, item.value_scale.encode(item.default)


class _Builder:
    """One build: the pallets' types described, then registered in a fixed order."""

    def __init__(self, runtime: Any) -> None:
        self.rt = runtime
        self.reg = TypeRegistry()
        self.views: dict[type, ScaleType] = {}
        self.runtime_call = Described("variant", (RUNTIME_PATH, "RuntimeCall"))
        self.call_types: dict[int, Described] = {}
        self.event_types: dict[int, Described] = {}
        self.error_types: dict[int, Described] = {}
        for p in runtime.pallets:
            base = (f"pallet_{snake(p.NAME)}", "pallet")
            if p.CALLS:
                self.call_types[p.INDEX] = Described("variant", (*base, "Call"), variants=[
                    MVariant(c.name, c.index, tuple(MField(n, self.arg_type(t), repr(t)) for n, t in c.args),
                             doc_lines(c.doc))
                    for c in p.CALLS.values()
                ], docs=("Contains a variant per dispatchable extrinsic that this pallet has.",))
            if p.EVENTS:
                self.event_types[p.INDEX] = Described("variant", (*base, "Event"), variants=[
                    MVariant(ev.__name__, i, tuple(MField(f.name, f.type, f.type.name) for f in composite_of(ev).fields),
                             class_docs(ev))
                    for i, ev in enumerate(p.EVENTS)
                ], docs=("The events this pallet deposits.",))
            if owns_errors(p):
                self.error_types[p.INDEX] = Described("variant", (*base, "Error"), variants=[
                    MVariant(e.name, int(e), (), tuple(x for x in (e.cause, e.fix) if x)) for e in p.Error
                ], docs=("The errors this pallet's calls fail with.",))
        by_name = {p.INDEX: p.NAME for p in runtime.pallets}
        self.runtime_call.variants = tuple(
            MVariant(by_name[i], i, (MField(None, t, f"dispatch::CallableCallFor<{by_name[i]}, Runtime>"),))
            for i, t in self.call_types.items()
        )
        self.runtime_event = Described("variant", (RUNTIME_PATH, "RuntimeEvent"), variants=[
            MVariant(by_name[i], i, (MField(None, t, f"pallet_{snake(by_name[i])}::Event<Runtime>"),))
            for i, t in self.event_types.items()
        ])
        self.runtime_error = Described("variant", (RUNTIME_PATH, "RuntimeError"), variants=[
            MVariant(by_name[i], i, (MField(None, t, f"pallet_{snake(by_name[i])}::Error<Runtime>"),))
            for i, t in self.error_types.items()
        ])
        # System.Events: frame_system::EventRecord over this RuntimeEvent (scale_outer's codec)
        self.event_record = Described("composite", ("frame_system", "EventRecord"), fields=(
            MField("phase", PHASE, "Phase"), MField("event", self.runtime_event, "RuntimeEvent"),
            MField("topics", VecS(H256, MAX_TOPICS), "Vec<T::Hash>"),
        ), params=[("E", self.runtime_event), ("T", H256)])
        # the types items with pre-encoded values (EncodedS) hold, by the name they declare
        self.encoded: dict[str, ScaleType] = {"Vec<EventRecord>": VecS(self.event_record)}
        self.extensions = signed_extensions(BALANCE_BITS, NONCE_BITS)
        self.extra = TupleS([explicit for _, explicit, _ in self.extensions])
        self.extrinsic = unchecked_extrinsic(MULTI_ADDRESS, self.runtime_call, MULTI_SIGNATURE, self.extra)
        self.runtime_type = Described("composite", (RUNTIME_PATH, "Runtime"))

    # -- types of declarations
    def arg_type(self, t: WireType) -> ScaleType:
        """A call argument's SCALE type; a nested call is the outer RuntimeCall."""
        return call_arg_type(t, self.runtime_call)

    def param_type(self, t: Any) -> ScaleType:
        return ACCOUNT_ID32 if isinstance(t, AccountParam) else scale_type_of(t)

    def view_type(self, ann: Any, declared: str = "") -> ScaleType:
        """A view record's (or a value in one's) SCALE type, from its annotation."""
        if ann is int:
            return uint(int(declared[1:])) if declared in ("u8", "u16", "u32", "u64", "u128") else U64S
        if ann is bool:
            return BOOL
        if ann is str:
            return STRING
        if isinstance(ann, type) and issubclass(ann, AccountId):
            return ACCOUNT_ID32
        if ann is bytes or ann is Any:
            return BYTES
        origin = typing.get_origin(ann)
        if origin is Annotated:
            try:
                return scale_type_of(ann)
            except TypeError:
                return self.view_type(typing.get_args(ann)[0])
        if isinstance(ann, type) and issubclass(ann, IntEnum):
            return scale_type_of(ann)
        if isinstance(ann, type) and dataclasses.is_dataclass(ann):
            return self.view_record(ann)
        args = typing.get_args(ann)
        if origin in (typing.Union, typing.get_origin(int | None)):
            rest = [a for a in args if a is not type(None)]
            if len(rest) == 1:
                return OptionS(self.view_type(rest[0]))
        if origin is tuple:
            if len(args) == 2 and args[1] is Ellipsis:
                return VecS(self.view_type(args[0]))
            return TupleS([self.view_type(a) for a in args if a != ()])
        return BYTES  # anything else is carried opaque

    def view_record(self, cls: type) -> ScaleType:
        got = self.views.get(cls)
        if got is not None:
            return got
        try:  # a @wire record (sized fields) has its own SCALE form
            comp = composite_of(cls)
            _ = comp.fields
            self.views[cls] = comp
            return comp
        except TypeError:
            pass
        desc = Described("composite", (*cls.__module__.split("."), cls.__qualname__), docs=class_docs(cls))
        self.views[cls] = desc
        hints = typing.get_type_hints(cls, include_extras=True)
        desc.fields = tuple(
            MField(f.name, t, t.name) for f in dataclasses.fields(cls) for t in (self.view_type(hints[f.name]),)
        )
        return desc

    def api_output(self, api: Any) -> ScaleType:
        try:
            ann = typing.get_type_hints(api.reader, include_extras=True).get("return", Any)
        except (NameError, TypeError):
            ann = Any
        return self.view_type(ann, api.result)

    def storage_value_type(self, item: Any) -> ScaleType:
        """The value type the metadata declares for a storage item: the item's own ScaleType (the
        one that encodes its values), or the runtime's type that pre-encoded bytes hold."""
        st = item.value_scale
        return self.encoded[st.declares] if isinstance(st, EncodedS) else st

    # -- the parts
    def pallet_parts(self, p: Any) -> dict[str, Any]:
        reg = self.reg
        entries = []
        for item in p.storage_items():
            modifier, default = storage_default(item)
            value = reg.id_of(self.storage_value_type(item))
            if item.kind == "value":
                ty: Any = EntryPlain(value)
            elif item.kind == "map":
                ty = EntryMap((StorageHasher[item.hasher_name],), reg.id_of(item.key_scale), value)
            else:
                key = TupleS((item.key1_scale, item.key2_scale))
                ty = EntryMap(
                    (StorageHasher[item.hasher1_name], StorageHasher[item.hasher2_name]), reg.id_of(key), value,
                )
            entries.append(StorageEntry(item.name, modifier, ty, default, doc_lines(item.doc)))
        constants = []
        for name, ann, value, doc in getattr(p, "CONSTANTS", ()):
            st = scale_type_of(ann)
            constants.append(PalletConstant(name, reg.id_of(st), st.encode(value), doc_lines(doc)))

        def ref(types: dict[int, Described]) -> TypeRef | None:
            t = types.get(p.INDEX)
            return None if t is None else TypeRef(reg.id_of(t))

        return {
            "name": p.NAME,
            "storage": PalletStorage(p.NAME, tuple(entries)) if entries else None,
            "calls": ref(self.call_types),
            "event": ref(self.event_types),
            "constants": tuple(constants),
            "error": ref(self.error_types),
            "index": p.INDEX,
        }

    def extension_list(self) -> tuple[SignedExtension, ...]:
        return tuple(
            SignedExtension(name, self.reg.id_of(explicit), self.reg.id_of(implicit))
            for name, explicit, implicit in self.extensions
        )

    def v14(self) -> MetadataV14:
        pallets = tuple(PalletV14(**self.pallet_parts(p)) for p in self.rt.pallets)
        self.reg.id_of(DIGEST_ITEM)  # the header's logs (clients decode chain_getHeader's digest with it)
        extrinsic = ExtrinsicV14(self.reg.id_of(self.extrinsic), EXTRINSIC_VERSION, self.extension_list())
        ty = self.reg.id_of(self.runtime_type)
        return MetadataV14(self.reg.types(), pallets, extrinsic, ty)

    def v15(self) -> MetadataV15:
        reg = self.reg
        pallets = tuple(PalletV15(**self.pallet_parts(p), docs=class_docs(type(p))) for p in self.rt.pallets)
        extrinsic = ExtrinsicV15(
            EXTRINSIC_VERSION, reg.id_of(MULTI_ADDRESS), reg.id_of(self.runtime_call), reg.id_of(MULTI_SIGNATURE),
            reg.id_of(self.extra), self.extension_list(),
        )
        ty = reg.id_of(self.runtime_type)
        reg.id_of(DIGEST_ITEM)
        # V15 names the extrinsic's parts, not its type; clients (cyscale) still look the type up by path
        reg.id_of(self.extrinsic)
        traits: dict[str, list[ApiMethod]] = {}
        for api, _pallet in self.rt.apis.values():
            inputs = tuple(ApiParam(n, reg.id_of(self.param_type(t))) for n, t in api.params)
            method = ApiMethod(api.method, inputs, reg.id_of(self.api_output(api)), doc_lines(api.doc))
            traits.setdefault(api.api, []).append(method)
        for api_name, method_name, params, result, doc in METADATA_APIS:  # served by state_call itself
            inputs = tuple(ApiParam(n, reg.id_of(self.extrinsic if t is EXTRINSIC else t)) for n, t in params)
            traits.setdefault(api_name, []).append(ApiMethod(method_name, inputs, reg.id_of(result), (doc,)))
        apis = tuple(RuntimeApiMeta(name, tuple(methods)) for name, methods in traits.items())
        outer = OuterEnums(reg.id_of(self.runtime_call), reg.id_of(self.runtime_event), reg.id_of(self.runtime_error))
        return MetadataV15(reg.types(), pallets, extrinsic, ty, apis, outer, ())


def build(runtime: Any, version: int) -> MetadataV14 | MetadataV15:
    """The metadata structure of `runtime` at `version` (14 or 15), uncached."""
    if version == 14:
        return _Builder(runtime).v14()
    if version == 15:
        return _Builder(runtime).v15()
    raise ValueError(f"metadata version {version} is not served (only {metadata_versions()})")


__all__ = ["build", "metadata_v14", "metadata_v15", "metadata_versions", "owns_errors", "snake", "storage_default"]
