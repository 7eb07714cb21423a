"""Aura's views: the authority set (`AuraApi`, as Substrate's)."""

from __future__ import annotations

from typing import Any

from runtime.support.api import RuntimeApi
from runtime.support.dispatch import Ctx


def authorities(aura: Any, ctx: Ctx) -> tuple[bytes, ...]:
    return aura.authorities(ctx)


RUNTIME_APIS: tuple[RuntimeApi, ...] = (
    RuntimeApi("AuraApi", "authorities", authorities, (), "Vec<AuthorityId>", None, "the block authors, in slot order"),
)
