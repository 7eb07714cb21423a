"""AdminUtils (index 19): the subnet hyperparameter setters, with subtensor's permissions.

Each `sudo_set_*` call takes (netuid, value). **O** setters accept root or the subnet's owner;
the owner is rate-limited per parameter to OwnerHyperparamRateLimit x tempo blocks
(TxRateLimitExceeded) and refused in the last AdminFreezeWindow blocks before the subnet's epoch
(AdminActionProhibitedDuringWeightsWindow). **R** setters accept root only (BadOrigin). Check order:
origin (and the owner's limits), then the subnet's existence, then the value's bounds. Each
successful call emits `<Param>Set(netuid, value)`.

The setters come from SubtensorModule's hyperparameter table, which `runtime/construct.py` hands to
`admin_utils_pallet` (this pallet imports no other pallet): each settable entry gives one call and
one event. What AdminUtils needs of SubtensorModule is the narrow `Subnets` interface.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from runtime.support.codec import U16, U64, wire
from runtime.support.dispatch import (
    ROOT,
    Ctx,
    DispatchError,
    DocEnum,
    Origin,
    Pallet,
    SystemError_,
    call,
    ensure,
    ensure_root,
)

SETTER_WEIGHT = 25_000_000


class Error(DocEnum):
    SubnetDoesNotExist = 0, "the netuid names no subnet", "list the subnets (`taochain subnets list`)"
    MaxValidatorsLargerThanMaxUIds = (
        1, "max_allowed_validators would exceed max_allowed_uids", "keep max_validators at most max_n",
    )
    BondsMovingAverageMaxReached = (
        2, "owners may not set bonds_moving_avg above 975000", "choose at most 975000, or ask root",
    )
    ValueNotInBounds = (
        3, "the value is outside the parameter's allowed range",
        "see the parameter's bounds (`taochain sudo get`) and the setter's doc",
    )
    MaxAllowedUIdsLessThanCurrentUIds = (
        4, "max_allowed_uids would be below the number of registered uids", "choose at least the subnet's n",
    )


class Subnets(Protocol):
    """What AdminUtils needs of SubtensorModule (injected by runtime/construct.py)."""

    def subnet_exists(self, ctx: Ctx, netuid: int) -> bool: ...

    def hyperparam(self, ctx: Ctx, item: str, netuid: int) -> Any: ...

    def set_hyperparam(self, ctx: Ctx, item: str, netuid: int, value: Any) -> None: ...

    def subnetwork_n(self, ctx: Ctx, netuid: int) -> int: ...

    def ensure_owner_may_set(self, ctx: Ctx, who: bytes | None, netuid: int, index: int, rate_limited: bool) -> None:
        """BadOrigin unless `who` owns the subnet; the owner's rate limit and freeze window."""

    def note_owner_update(self, ctx: Ctx, netuid: int, index: int) -> None: ...

    def check_reveal_period(self, value: int) -> None: ...

    def set_stake_threshold(self, ctx: Ctx, value: int) -> None: ...

    def set_emission_share(self, ctx: Ctx, netuid: int, share: int) -> None: ...


Check = Callable[[Subnets, Ctx, int, Any, bool], None]  # (subtensor, ctx, netuid, value, by_owner)


@dataclasses.dataclass(frozen=True, slots=True)
class Param:
    """One setter, derived from its hyperparams.HYPERPARAMS entry."""

    index: int  # AdminUtils call index (subtensor's)
    name: str  # call is sudo_set_<name>
    item: str  # SubtensorModule storage item
    wire: Any  # value type
    owner: bool  # O (owner or root) vs R (root only)
    event: str  # the *Set event's name
    check: Check | None = None
    rate_limited: bool = True  # the owner is rate-limited per parameter


def _bounds(lo: int, hi: int) -> Check:
    def check(sub: Any, ctx: Ctx, netuid: int, value: Any, by_owner: bool) -> None:
        ensure(lo <= value <= hi, Error.ValueNotInBounds, f"allowed: {lo}..{hi}")

    return check


def _max_uids(sub: Any, ctx: Ctx, netuid: int, value: Any, by_owner: bool) -> None:
    ensure(value <= 4096, Error.ValueNotInBounds, "at most 4096 uids")
    ensure(
        value >= sub.subnetwork_n(ctx, netuid),
        Error.MaxAllowedUIdsLessThanCurrentUIds,
        "the subnet already has more uids",
    )
    ensure(value >= sub.hyperparam(ctx, "MaxAllowedValidators", netuid), Error.MaxValidatorsLargerThanMaxUIds)


def _max_validators(sub: Any, ctx: Ctx, netuid: int, value: Any, by_owner: bool) -> None:
    ensure(value <= sub.hyperparam(ctx, "MaxAllowedUids", netuid), Error.MaxValidatorsLargerThanMaxUIds)


def _bonds_ma(sub: Any, ctx: Ctx, netuid: int, value: Any, by_owner: bool) -> None:
    ensure(not by_owner or value <= 975_000, Error.BondsMovingAverageMaxReached, "owners may set at most 975000")
    ensure(value <= 1_000_000, Error.ValueNotInBounds, "at most 1000000 (per million)")


def _reveal_period(sub: Any, ctx: Ctx, netuid: int, value: Any, by_owner: bool) -> None:
    sub.check_reveal_period(value)


def _cr_version(sub: Any, ctx: Ctx, netuid: int, value: Any, by_owner: bool) -> None:
    ensure(value in (2, 4), Error.ValueNotInBounds, "2 (hash commits) or 4 (timelocked commits)")


def _min_max(other: str, is_min: bool) -> Check:
    def check(sub: Any, ctx: Ctx, netuid: int, value: Any, by_owner: bool) -> None:
        bound = sub.hyperparam(ctx, other, netuid)
        ok = value <= bound if is_min else value >= bound
        ensure(ok, Error.ValueNotInBounds, f"must be {'<=' if is_min else '>='} {other} ({bound})")

    return check


def _check(h: Any) -> Check | None:
    """The value checks a setter's declaration names: bounds, then a cross-item rule."""
    st = h.setter
    assert st is not None
    named = None
    if st.check is not None:
        rule, _, other = st.check.partition(":")
        named = _min_max(other, rule == "at_most") if other else _CHECKS[rule]
    bounds = None if st.bounds is None else _bounds(*st.bounds)
    if bounds is None or named is None:
        return bounds or named

    def both(sub: Any, ctx: Ctx, netuid: int, value: Any, by_owner: bool) -> None:
        bounds(sub, ctx, netuid, value, by_owner)
        named(sub, ctx, netuid, value, by_owner)

    return both


_CHECKS: dict[str, Check] = {
    "max_allowed_uids": _max_uids,
    "max_allowed_validators": _max_validators,
    "bonds_moving_average": _bonds_ma,
    "reveal_period": _reveal_period,
    "commit_reveal_version": _cr_version,
}

def _params(settable: Sequence[Any]) -> tuple[Param, ...]:
    """The setters of the table's settable entries, in AdminUtils' event order (each setter's event
    index is its position)."""
    out = tuple(
        Param(h.setter.index, h.setter.call, h.item, h.wire, h.setter.owner, h.setter.event, _check(h),
              h.setter.rate_limited)
        for h in settable
    )
    if [h.setter.event_index for h in settable] != list(range(len(out))):
        raise TypeError("AdminUtils: the table's setter event indices must be 0, 1, 2, ... in order")
    return out


def _event(name: str, value_type: Any) -> type:
    cls = type(name, (), {"__annotations__": {"netuid": U16, "value": value_type}, "__doc__": f"{name}(netuid, value)"})
    cls.__module__ = __name__
    return wire(cls)


@wire
class AlphaValuesSet:
    """Liquid-alpha bounds set: (netuid, low, high), u16 proportions."""

    netuid: U16
    low: U16
    high: U16


@wire
class StakeThresholdSet:
    """The stake needed to set weights (rao)."""

    value: U64


@wire
class EmissionShareSet:
    """Root set a subnet's relative share of block emission (0 = the equal split)."""

    netuid: U16
    share: U16


class AdminUtilsBase(Pallet):
    NAME = "AdminUtils"
    INDEX = 19
    Error = Error
    PARAMS: tuple[Param, ...] = ()
    SET_EVENTS: dict[str, type] = {}

    def __init__(self, subtensor: Subnets) -> None:
        self.sub = subtensor

    def _origin(
        self, ctx: Ctx, origin: Origin, netuid: int, index: int, owner_allowed: bool, rate_limited: bool = True
    ) -> bool:
        """Check the origin (root, or the subnet owner within the limits). Returns by_owner."""
        if origin.kind == ROOT:
            return False
        if not owner_allowed:
            raise DispatchError.of(SystemError_.BadOrigin, "only root (sudo) may set this parameter")
        self.sub.ensure_owner_may_set(ctx, origin.who, netuid, index, rate_limited)
        return True

    def _set(self, ctx: Ctx, origin: Origin, p: Param, netuid: int, value: Any) -> None:
        by_owner = self._origin(ctx, origin, netuid, p.index, p.owner, p.rate_limited)
        sub = self.sub
        ensure(sub.subnet_exists(ctx, netuid), Error.SubnetDoesNotExist, f"there is no subnet {netuid}")
        if p.check is not None:
            p.check(sub, ctx, netuid, value, by_owner)
        sub.set_hyperparam(ctx, p.item, netuid, value)
        if by_owner:
            sub.note_owner_update(ctx, netuid, p.index)
        ctx.deposit_event(self.SET_EVENTS[p.event](netuid, value))

    @call(51, weight=SETTER_WEIGHT)
    def sudo_set_alpha_values(self, ctx: Ctx, origin: Origin, netuid: U16, alpha_low: U16, alpha_high: U16) -> None:
        """Liquid-alpha bounds (u16 proportions, low <= high). Origin: root or the owner (O)."""
        by_owner = self._origin(ctx, origin, netuid, 51, True)
        sub = self.sub
        ensure(sub.subnet_exists(ctx, netuid), Error.SubnetDoesNotExist)
        ensure(0 < alpha_low <= alpha_high, Error.ValueNotInBounds, "need 0 < alpha_low <= alpha_high")
        sub.set_hyperparam(ctx, "AlphaLow", netuid, alpha_low)
        sub.set_hyperparam(ctx, "AlphaHigh", netuid, alpha_high)
        if by_owner:
            sub.note_owner_update(ctx, netuid, 51)
        ctx.deposit_event(AlphaValuesSet(netuid, alpha_low, alpha_high))

    @call(200, weight=SETTER_WEIGHT)
    def sudo_set_stake_threshold(self, ctx: Ctx, origin: Origin, value: U64) -> None:
        """The stake a hotkey needs to set weights (rao). Origin: root."""
        ensure_root(origin)
        self.sub.set_stake_threshold(ctx, value)
        ctx.deposit_event(StakeThresholdSet(value))

    @call(201, weight=SETTER_WEIGHT)
    def sudo_set_subnet_emission_share(self, ctx: Ctx, origin: Origin, netuid: U16, share: U16) -> None:
        """taochain: a subnet's relative share of block emission; when every share is 0 the
        emitting subnets split it equally. Origin: root."""
        ensure_root(origin)
        ensure(self.sub.subnet_exists(ctx, netuid), Error.SubnetDoesNotExist)
        self.sub.set_emission_share(ctx, netuid, share)
        ctx.deposit_event(EmissionShareSet(netuid, share))


def _setter(p: Param) -> Callable:
    def fn(self: Any, ctx: Ctx, origin: Origin, netuid: int, value: Any) -> None:
        self._set(ctx, origin, p, netuid, value)

    fn.__name__ = fn.__qualname__ = f"sudo_set_{p.name}"
    fn.__annotations__ = {"ctx": Ctx, "origin": Origin, "netuid": U16, "value": p.wire, "return": None}
    who = "root or the subnet owner (O)" if p.owner else "root (R)"
    fn.__doc__ = f"Set {p.item} of a subnet. Origin: {who}. Events: {p.event}."
    return call(p.index, weight=SETTER_WEIGHT)(fn)


def admin_utils_pallet(settable: Sequence[Any]) -> type[AdminUtilsBase]:
    """The AdminUtils pallet for a hyperparameter table's settable entries (each with a `setter`:
    index, call, owner, event, event_index, rate_limited, bounds, check), in event order."""
    params = _params(settable)
    set_events = {p.event: _event(p.event, p.wire) for p in params}
    body: dict[str, Any] = {f"sudo_set_{p.name}": _setter(p) for p in params}
    body.update(
        PARAMS=params, SET_EVENTS=set_events,
        EVENTS=(*set_events.values(), AlphaValuesSet, StakeThresholdSet, EmissionShareSet),
    )
    return type("AdminUtils", (AdminUtilsBase,), body)
