"""The call table and the call nesting depth belong to each runtime and each decode (#14, item 6).

Before, `dispatch` kept a process-wide registry (the last Runtime built) and a class-level nesting
counter: a second runtime in the process changed how the first decoded nested calls, and two threads
decoding at once added up each other's depths."""

from __future__ import annotations

import threading
import typing

import pytest

from runtime.construct import Runtime
from runtime.support.codec import U8, CodecError, WireType
from runtime.support.dispatch import MAX_CALL_DEPTH, Call, Ctx, Origin, Pallet, call
from runtime.support.keys import dev_keypair

CHARLIE = dev_keypair("Charlie").public


class OtherBalances(Pallet):
    """A pallet at Balances' index whose call 3 takes other arguments than transfer_keep_alive."""

    NAME = "OtherBalances"
    INDEX = 5

    @call(3, weight=1)
    def poke(self, ctx: Ctx, origin: Origin, level: U8) -> None:
        """Does nothing."""


class Gate(WireType):
    """A u8 whose decoding waits until the test opens the gate (to hold a decode half-way)."""

    name = "Gate"

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def to_wire(self, v: typing.Any) -> typing.Any:
        return v

    def from_wire(self, w: typing.Any) -> int:
        self.entered.set()
        assert self.release.wait(10)
        return w


GATE = Gate()


class Held(Pallet):
    NAME = "Held"
    INDEX = 99

    @call(0, weight=1)
    def hold(self, ctx: Ctx, origin: Origin, v: typing.Annotated[int, GATE]) -> None:
        """Does nothing."""


def with_pallet(rt: Runtime, pallet: Pallet) -> Runtime:
    rt.by_index = {**rt.by_index, pallet.INDEX: pallet}
    return rt


def sudo(inner: list, times: int = 1) -> list:
    for _ in range(times):
        inner = [12, 0, [inner]]
    return inner


def test_two_runtimes_decode_nested_calls_with_their_own_table() -> None:
    a = Runtime()
    b = with_pallet(Runtime(), OtherBalances())  # built last: the old global pointed here
    transfer = [5, 3, [CHARLIE, 1]]
    assert a.decode_call(sudo(transfer)).args[0] == Call(5, 3, (CHARLIE, 1))
    assert a.decode_call(sudo(transfer)).args[0].cdef.name == "transfer_keep_alive"
    assert b.decode_call(sudo([5, 3, [7]])).args[0].cdef.name == "poke"
    with pytest.raises(CodecError):
        b.decode_call(sudo(transfer))
    with pytest.raises(CodecError):
        a.decode_call(sudo([5, 3, [7]]))


def test_a_call_encodes_with_its_own_declaration() -> None:
    a = Runtime()
    b = with_pallet(Runtime(), OtherBalances())
    call_a = a.call("Sudo", "sudo", a.call("Balances", "transfer_keep_alive", CHARLIE, 1))
    call_b = b.by_index[12].call("sudo", b.by_index[5].call("poke", 7))
    assert a.decode_call(call_a.to_wire()) == call_a
    assert b.decode_call(call_b.to_wire()) == call_b
    assert call_a.args[0].compute_weight() == a.call_def(5, 3).compute_weight((CHARLIE, 1))
    with pytest.raises(CodecError, match="runtime.call"):
        Call(5, 3, (CHARLIE, 1)).to_wire()


def test_nesting_is_bounded_per_decode() -> None:
    rt = Runtime()
    transfer = [5, 3, [CHARLIE, 1]]
    rt.decode_call(sudo(transfer, MAX_CALL_DEPTH))
    with pytest.raises(CodecError, match="nested deeper"):
        rt.decode_call(sudo(transfer, MAX_CALL_DEPTH + 1))
    rt.decode_call(sudo(transfer, MAX_CALL_DEPTH))  # a refused decode leaves nothing behind


def test_threads_decoding_at_once_do_not_share_a_depth() -> None:
    rt = with_pallet(Runtime(), Held())
    deep = sudo([99, 0, [5]], MAX_CALL_DEPTH - 1)
    out: list[Call] = []
    t = threading.Thread(target=lambda: out.append(rt.decode_call(deep)))
    t.start()
    try:
        assert GATE.entered.wait(10)  # the thread is MAX_CALL_DEPTH - 1 calls deep, and waits there
        # with a depth shared between threads this one was refused as too deep
        rt.decode_call(sudo([5, 3, [CHARLIE, 1]], 2))
    finally:
        GATE.release.set()
        t.join(10)
    assert len(out) == 1 and out[0].pallet == 12
