"""System's views: accounts (runtime APIs; `AccountNonceApi` is Substrate's)."""

from __future__ import annotations

from typing import Any

from runtime.support.api import ACCOUNT, RuntimeApi
from runtime.support.codec import U32, U64, wire
from runtime.support.dispatch import Ctx


@wire
class AccountView:
    """An account's nonce and balances (rao), flat: the stored AccountInfo without its counters."""

    nonce: U32
    free: U64
    reserved: U64
    frozen: U64


def account(system: Any, ctx: Ctx, who: bytes) -> AccountView:
    info = system.get_account(ctx, who)
    return AccountView(info.nonce, info.free, info.reserved, info.frozen)


def account_nonce(system: Any, ctx: Ctx, who: bytes) -> int:
    return system.get_account(ctx, who).nonce


RUNTIME_APIS: tuple[RuntimeApi, ...] = (
    RuntimeApi("AccountNonceApi", "account_nonce", account_nonce, (("account", ACCOUNT),), "u32", None,
               "the account's next nonce"),
    RuntimeApi("SystemApi", "account", account, (("account", ACCOUNT),), "AccountInfo", None,
               "the account's nonce and balances (rao)"),
)
