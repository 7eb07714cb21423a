"""Sudo pallet (index 12): one key may dispatch any call as root.

`sudo(call)` succeeds whenever the signer is the key; the inner call's outcome is reported by the
`Sudid` event (as Substrate). Invariant: the key, once set, is an account id.
"""

from __future__ import annotations

from runtime.support.codec import AccountId, wire
from runtime.support.dispatch import (
    Call,
    Ctx,
    DispatchError,
    DispatchResultField,
    DocEnum,
    Origin,
    Pallet,
    RuntimeCall,
    call,
    ensure,
    ensure_signed,
)
from runtime.support.storage import StorageValue

SUDO_BASE_WEIGHT = 20_000_000


class Error(DocEnum):
    RequireSudo = (
        0, "the signer is not the sudo key: only it may make root-only calls through sudo",
        "sign with the sudo key (//Alice on a dev chain); owner-settable parameters also take the subnet owner",
    )


@wire
class Sudid:
    """A sudo call was dispatched: its outcome (Substrate's `Result<(), DispatchError>`; None is Ok)."""

    sudo_result: DispatchResultField


@wire
class KeyChanged:
    """The sudo key changed."""

    old: AccountId | None
    new: AccountId


class Sudo(Pallet):
    NAME = "Sudo"
    INDEX = 12
    Error = Error
    EVENTS = (Sudid, KeyChanged)

    Key = StorageValue("Sudo", "Key", AccountId | None, None, doc="the sudo key")

    def genesis(self, ctx: Ctx, key: bytes | None) -> None:
        if key is not None:
            self.Key.set(ctx.state, key)

    @call(0, weight=lambda inner: SUDO_BASE_WEIGHT + _inner_weight(inner))
    def sudo(self, ctx: Ctx, origin: Origin, inner: RuntimeCall) -> None:
        """Dispatch `inner` as root. Origin: signed by the key. Events: Sudid. Errors: RequireSudo."""
        who = ensure_signed(origin)
        ensure(who == self.Key.get(ctx.state), Error.RequireSudo)
        err: DispatchError | None = ctx.runtime.dispatch(ctx, Origin.root(), inner)
        ctx.deposit_event(Sudid(None if err is None else err.code()))

    @call(2, weight=20_000_000)
    def set_key(self, ctx: Ctx, origin: Origin, new: AccountId) -> None:
        """Hand the sudo key to `new`. Origin: signed by the key. Events: KeyChanged."""
        who = ensure_signed(origin)
        old = self.Key.get(ctx.state)
        ensure(who == old, Error.RequireSudo)
        self.Key.set(ctx.state, new)
        ctx.deposit_event(KeyChanged(old, new))


def _inner_weight(inner: Call) -> int:
    return inner.compute_weight()
