"""System's views: accounts (runtime APIs; `AccountNonceApi` is Substrate's)."""

from __future__ import annotations

from typing import Any

from runtime.support.api import ACCOUNT, RuntimeApi
from runtime.support.dispatch import Ctx

from . import AccountInfo


def account(system: Any, ctx: Ctx, who: bytes) -> AccountInfo:
    return system.get_account(ctx, who)


def account_nonce(system: Any, ctx: Ctx, who: bytes) -> int:
    return system.get_account(ctx, who).nonce


RUNTIME_APIS: tuple[RuntimeApi, ...] = (
    RuntimeApi("AccountNonceApi", "account_nonce", account_nonce, (("account", ACCOUNT),), "u32", None,
               "the account's next nonce"),
    RuntimeApi("SystemApi", "account", account, (("account", ACCOUNT),), "AccountInfo", None,
               "the account's nonce and balances (rao)"),
)
