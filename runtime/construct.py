"""Composes the pallets into the runtime (the only module of runtime/ that imports pallets).

Pallets come in index order; each one that needs another gets a narrow interface injected here.
The runtime resolves call indices, decodes calls strictly, dispatches them in a storage layer,
maps event types to their ids, and describes itself as JSON metadata.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from pallets.admin_utils import admin_utils_pallet
from pallets.aura import Aura
from pallets.aura.rpc_info import RUNTIME_APIS as AURA_APIS
from pallets.balances import Balances
from pallets.drand import MAX_PULSES_PER_BLOCK, Drand, DrandConfig, Pulse
from pallets.drand.rpc_info import RUNTIME_APIS as DRAND_APIS
from pallets.subtensor import SubtensorConfig, SubtensorModule
from pallets.subtensor.hyperparams import SETTABLE
from pallets.subtensor.rpc_info import RUNTIME_APIS as SUBTENSOR_APIS
from pallets.sudo import Sudo
from pallets.system import System
from pallets.system.rpc_info import RUNTIME_APIS as SYSTEM_APIS
from pallets.timestamp import Timestamp
from pallets.transaction_payment import EXTRINSIC_BASE_WEIGHT, TransactionPayment
from runtime.metadata import owns_errors
from runtime.scale_types import decode_events
from runtime.state_call import runtime_version_apis
from runtime.support.api import RuntimeApi
from runtime.support.codec import CodecError, fields_of
from runtime.support.dispatch import (
    DISPATCH_ERROR,
    Call,
    CallDef,
    Ctx,
    DispatchError,
    DispatchErrorCode,
    Origin,
    Pallet,
    ResultS,
    decode_call_args,
    dispatch_error_name,
)
from runtime.support.scale import composite_of
from runtime.support.storage import Overlay
from runtime.yuma.backend import Backend, get_backend, run_epochs_arrays


@dataclasses.dataclass(frozen=True, slots=True)
class RuntimeVersion:
    spec_name: str
    impl_name: str
    authoring_version: int
    spec_version: int
    impl_version: int
    transaction_version: int
    state_version: int

    def to_json(self) -> dict[str, Any]:
        return {
            "specName": self.spec_name,
            "implName": self.impl_name,
            "authoringVersion": self.authoring_version,
            "specVersion": self.spec_version,
            "implVersion": self.impl_version,
            "apis": [["0x" + i.hex(), v] for i, v in runtime_version_apis()],
            "transactionVersion": self.transaction_version,
            "systemVersion": 1,
            "stateVersion": self.state_version,
        }


# the pallet types chain specs and the node's beacon build values of
__all__ = ["MAX_PULSES_PER_BLOCK", "AdminUtils", "DrandConfig", "Pulse", "Runtime", "RuntimeVersion", "SubtensorConfig"]

# AdminUtils' setters come from SubtensorModule's hyperparameter table
AdminUtils = admin_utils_pallet(SETTABLE)


class Runtime:
    """The composed runtime. One instance per chain; `genesis_hash` is set by genesis building."""

    VERSION = RuntimeVersion("taochain", "taochain-node", 1, 100, 1, 1, 1)
    EXTRINSIC_BASE_WEIGHT = EXTRINSIC_BASE_WEIGHT

    def __init__(
        self,
        slot_duration_ms: int = 1000,
        subtensor: SubtensorConfig | None = None,
        yuma_backend: str | Backend = "numpy",
        drand: DrandConfig | None = None,
        bls_backend: str | None = None,
    ) -> None:
        self.slot_duration_ms = slot_duration_ms
        # every backend gives the same bits (tests/yuma); the choice only changes the speed
        self.yuma_backend = yuma_backend if isinstance(yuma_backend, Backend) else get_backend(yuma_backend)
        self._run_yuma: Any = lambda batch: run_epochs_arrays(batch, self.yuma_backend)
        self.system = System()
        self.timestamp = Timestamp(minimum_period_ms=slot_duration_ms // 2)
        self.aura = Aura()
        self.balances = Balances(accounts=self.system)
        self.payment = TransactionPayment(currency=self.balances)
        self.sudo = Sudo()
        if drand is None:
            from runtime.presets import dev_beacon

            drand = dev_beacon(1).runtime_config()
        self.drand = Drand(drand, bls_backend)
        self.subtensor = SubtensorModule(
            currency=self.balances,
            block_hashes=self.system,
            run_yuma=lambda batch: self._run_yuma(batch),
            cfg=subtensor or SubtensorConfig(),
            beacon=self.drand,
        )
        self.balances.issuance_observers.append(self.subtensor.on_balances_issuance)
        self.admin = AdminUtils(self.subtensor)
        self.pallets: list[Pallet] = sorted(
            [
                self.system, self.timestamp, self.aura, self.balances, self.payment, self.subtensor, self.sudo,
                self.admin, self.drand,
            ],
            key=lambda p: p.INDEX,
        )
        self.by_index: dict[int, Pallet] = {p.INDEX: p for p in self.pallets}
        if len(self.by_index) != len(self.pallets):
            raise TypeError("two pallets share an index")
        self._event_ids: dict[type, tuple[int, int, str]] = {}
        for p in self.pallets:
            for i, ev in enumerate(p.EVENTS):
                self._event_ids[ev] = (p.INDEX, i, f"{p.NAME}.{ev.__name__}")
        self.INHERENT_CALLS: tuple[tuple[int, int], ...] = ((Timestamp.INDEX, 0), (Drand.INDEX, 0))
        self.genesis_hash = b"\0" * 32
        # the runtime APIs: each pallet's views, bound to it (state_call name -> (api, pallet))
        self.apis: dict[str, tuple[RuntimeApi, Pallet]] = {}
        for pallet, apis in (
            (self.system, SYSTEM_APIS), (self.aura, AURA_APIS), (self.subtensor, SUBTENSOR_APIS),
            (self.drand, DRAND_APIS),
        ):
            for api in apis:
                if api.name in self.apis:
                    raise TypeError(f"two runtime APIs named {api.name}")
                self.apis[api.name] = (api, pallet)

    # ------------------------------------------------------------------ calls
    def call_def(self, pallet: int, index: int) -> CallDef:
        p = self.by_index.get(pallet)
        if p is None:
            raise CodecError(f"unknown pallet index {pallet}")
        cdef = p.CALLS.get(index)
        if cdef is None:
            raise CodecError(f"pallet {p.NAME} has no call with index {index}")
        return cdef

    def decode_call(self, w: Any, depth: int = 0) -> Call:
        """A call from its wire form `[pallet, index, [args...]]`, `depth` calls deep; raises CodecError.

        The call table is this runtime's own: two runtimes in one process decode independently."""
        if type(w) is not list or len(w) != 3 or type(w[0]) is not int or type(w[1]) is not int:
            raise CodecError("call: expected [pallet_index, call_index, [args...]]")
        cdef = self.call_def(w[0], w[1])
        try:
            values = decode_call_args(self, cdef, w[2], depth)
        except CodecError as exc:
            raise CodecError(f"{cdef.name}: {exc}") from None
        except ValueError as exc:
            raise CodecError(f"{cdef.name}: {exc}") from None
        return Call(w[0], w[1], values, cdef)

    def call(self, pallet: str, name: str, *args: Any) -> Call:
        """Build a call by names, e.g. `rt.call("Balances", "transfer_keep_alive", dest, 10)`."""
        for p in self.pallets:
            if p.NAME == pallet:
                return p.call(name, *args)
        raise KeyError(f"no pallet {pallet!r}")

    def dispatch(self, ctx: Ctx, origin: Origin, call: Call) -> DispatchError | None:
        """Run a call in its own storage layer; on error the layer is dropped and the error returned."""
        p = self.by_index[call.pallet]
        cdef = p.CALLS[call.index]
        ctx.state.start()
        events_before = len(ctx.events)
        try:
            getattr(p, cdef.func_name)(ctx, origin, *call.args)
        except DispatchError as err:
            ctx.state.rollback()
            del ctx.events[events_before:]
            return err
        ctx.state.commit()
        return None

    def event_id(self, cls: type) -> tuple[int, int, str]:
        return self._event_ids[cls]

    def event_name(self, event: Any) -> str:
        """"Pallet.Event" of an event record's fields (e.g. "SubtensorModule.EpochRun")."""
        return self._event_ids[type(event)][2]

    def stored_events(self, state: Any) -> list[tuple[int, int, int, str, Any]]:
        """The events of the block whose post-state `state` is: (phase, pallet index, event index,
        "Pallet.Event", fields), decoded strictly from System.Events' SCALE `Vec<EventRecord>`
        (CodecError if those bytes are not this runtime's events)."""
        raw = self.system.Events.get(Overlay(state))
        return [(e.phase, e.pallet, e.index, e.name, e.fields) for e in decode_events(self, raw)]

    def error_name(self, code: DispatchErrorCode) -> str:
        """"Pallet.Error" of a dispatch error as events carry it (e.g. "Balances.InsufficientBalance")."""
        return dispatch_error_name(code, {p.INDEX: p.Error for p in self.pallets if owns_errors(p)})

    def event_errors(self, fields: Any) -> dict[str, Any]:
        """The dispatch errors an event's fields carry, named for the JSON views: "error" =
        "Pallet.Error" for a DispatchError (ExtrinsicFailed), and "ok" plus "error" ("" when ok)
        for a `Result<(), DispatchError>` (Sudo.Sudid)."""
        out: dict[str, Any] = {}
        for f in composite_of(type(fields)).fields:
            v = getattr(fields, f.name or "")
            if f.type is DISPATCH_ERROR:
                out["error"] = self.error_name(v)
            elif isinstance(f.type, ResultS):
                out["ok"] = v is None
                out["error"] = "" if v is None else self.error_name(v)
        return out

    def wrap_yuma(self, wrapper: Any) -> None:
        """Observe the batched Yuma call (the node times it): `wrapper(run) -> run'`, which must
        return what `run` returns."""
        self._run_yuma = wrapper(self._run_yuma)

    def changed_accounts(self, changes: Any) -> set[bytes]:
        """The accounts whose System.Account entry a block's storage changes touch (the pool
        re-validates only their transactions)."""
        acct = self.system.Account
        return {acct.decode_key(k) for k in changes if k.startswith(acct.prefix)}

    # ------------------------------------------------------------------ runtime APIs
    def call_api(self, name: str, state: Any, block_number: int, *args: Any) -> Any:
        """Run runtime API `name` (`<Api>_<method>`) over `state` (after block `block_number`),
        in a layer that is thrown away; KeyError for an unknown API."""
        api, pallet = self.apis[name]
        ctx = Ctx(Overlay(state), block_number + api.ahead, self)
        return api.reader(pallet, ctx, *args)

    def try_state(self, ctx: Ctx) -> None:
        for p in self.pallets:
            p.try_state(ctx)

    # ------------------------------------------------------------------ metadata
    def metadata(self) -> dict[str, Any]:
        """JSON description of every pallet: calls, storage, events, errors, with their indices.

        Each error is {"index", "name", "doc"}: the doc's first line says what went wrong, the
        second how to fix it (the pallet's own words, shown by the SDK and the CLI). An event
        whose field carries documented codes lists them under "enums": {field: [{"index",
        "name", "doc"}]} (e.g. TimelockedWeightsDropped.reason)."""
        pallets = []
        for p in self.pallets:
            err_cls = p.Error
            errors = [] if getattr(err_cls, "pallet_index", None) != p.INDEX else err_cls.metadata()
            pallets.append(
                {
                    "name": p.NAME,
                    "index": p.INDEX,
                    "calls": [
                        {
                            "index": c.index,
                            "name": c.name,
                            "args": [{"name": n, "type": repr(t)} for n, t in c.args],
                            "pays_fee": c.pays_fee,
                            "doc": c.doc,
                        }
                        for c in p.CALLS.values()
                    ],
                    "storage": [item.metadata() for item in p.storage_items()],
                    "events": [_event_metadata(i, ev) for i, ev in enumerate(p.EVENTS)],
                    "errors": errors,
                }
            )
        return {
            "version": self.VERSION.to_json(), "pallets": pallets,
            "apis": [api.metadata() for api, _ in self.apis.values()],
        }


def _event_metadata(index: int, ev: type) -> dict[str, Any]:
    out: dict[str, Any] = {
        "index": index,
        "name": ev.__name__,
        "fields": [{"name": n, "type": repr(t)} for n, t in fields_of(ev)],
        "doc": (ev.__doc__ or "").strip(),
    }
    enums = getattr(ev, "ENUMS", None)
    if enums:
        out["enums"] = {name: cls.metadata() for name, cls in enums.items()}
    return out
