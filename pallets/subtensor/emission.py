"""Emission: block emission, its split among subnets, pending accrual, and the epochs.

Each block mints nothing directly: `block_emission` (1 TAO halving with issuance, as subtensor's
`get_block_emission_for_issuance`) is split among the subnets whose emission has started (equal
shares, or by root-set EmissionShare), and each subnet's part accrues as pending: 18% owner cut, the
rest half to miners (server) and half to validators. At a subnet's epoch
((b + netuid + 1) % (tempo + 1) == tempo) the epochs of all subnets due at this block run in ONE
batched Yuma call; the outputs are written back and the pending rao is paid as stake: incentive to
each miner's hotkey (under its owner coldkey), dividends through each validator's hotkey (take to
the owner, the rest to its nominators pro rata), the owner cut to the owner hotkey. The rounding
remainder stays pending for the next epoch, so nothing is minted that was not accrued.
"""

from __future__ import annotations

import numpy as np

from runtime.support.dispatch import Ctx
from runtime.yuma.batch import EpochArrays, EpochArraysOutput

from .events import EpochRun
from .hyperparams import EPOCH_INPUTS
from .store import Store

U16_MAX = 0xFFFF


def block_emission_for_issuance(issuance: int, base: int, max_supply: int) -> int:
    """base * 2^-floor(log2(1 / (1 - issuance / max_supply))), capped by what is left to mint."""
    if issuance >= max_supply:
        return 0
    left = max_supply - issuance
    halvings = 0
    while left << (halvings + 1) <= max_supply:
        halvings += 1
    return min(base >> halvings, left)


def _u16_le(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<u2").astype(np.int64)


class EmissionMixin(Store):
    # ------------------------------------------------------------------ per block
    def block_emission(self, ctx: Ctx) -> int:
        return block_emission_for_issuance(
            self.TotalIssuance.get(ctx.state), self.cfg.block_emission, self.cfg.max_supply
        )

    def emitting_subnets(self, ctx: Ctx, netuids: list[int]) -> list[int]:
        s, now = ctx.state, ctx.block_number
        out = []
        for netuid in netuids:
            first = self.FirstEmissionBlockNumber.get(s, netuid)
            if first is not None and first <= now:
                out.append(netuid)
        return out

    def subnet_emissions(self, ctx: Ctx, netuids: list[int]) -> list[tuple[int, int]]:
        """(netuid, rao this block) for the emitting subnets."""
        emitting = self.emitting_subnets(ctx, netuids)
        if not emitting:
            return []
        total = self.block_emission(ctx)
        shares = [self.EmissionShare.get(ctx.state, n) for n in emitting]
        if not any(shares):
            shares = [1] * len(emitting)
        denom = sum(shares)
        return [(n, total * w // denom) for n, w in zip(emitting, shares, strict=True)]

    def accrue_pending(self, ctx: Ctx, netuids: list[int]) -> None:
        s = ctx.state
        for netuid, amount in self.subnet_emissions(ctx, netuids):
            if not amount:
                continue
            cut = amount * self.cfg.subnet_owner_cut // U16_MAX
            rest = amount - cut
            server = rest // 2
            self.PendingOwnerCut.set(s, netuid, self.PendingOwnerCut.get(s, netuid) + cut)
            self.PendingServerEmission.set(s, netuid, self.PendingServerEmission.get(s, netuid) + server)
            self.PendingValidatorEmission.set(
                s, netuid, self.PendingValidatorEmission.get(s, netuid) + rest - server
            )

    def due_epochs(self, ctx: Ctx, netuids: list[int]) -> list[int]:
        s, now = ctx.state, ctx.block_number
        return [n for n in netuids if self.blocks_until_next_epoch(n, self.Tempo.get(s, n), now) == 0]

    # ------------------------------------------------------------------ gather
    def gather_epoch(self, ctx: Ctx, netuid: int) -> EpochArrays:
        """One subnet's epoch input, straight from storage into arrays."""
        return self.gather_epoch_keys(ctx, netuid)[0]

    def gather_epoch_keys(self, ctx: Ctx, netuid: int) -> tuple[EpochArrays, list[bytes]]:
        """The epoch input and the subnet's hotkeys by uid (the payouts need them too)."""
        s, now = ctx.state, ctx.block_number
        n = self.SubnetworkN.get(s, netuid)
        params = {h.epoch: getattr(self, h.item).get(s, netuid) for h in EPOCH_INPUTS}
        tempo = params["tempo"]
        hotkeys = [self.Keys.get(s, netuid, uid) for uid in range(n)]
        stake = np.array([self.TotalHotkeyStake.get(s, h) for h in hotkeys], dtype=np.int64)
        commit_blocks = np.full(n, -1, dtype=np.int64)
        if params["commit_reveal_enabled"]:
            cur = self.epoch_index(netuid, tempo, now)
            period = self.RevealPeriodEpochs.get(s, netuid)
            for hot, queue in self.WeightCommits.iter_prefix_values(s, netuid):
                live = [c.block for c in queue if cur <= c.epoch + period]
                uid = self.Uids.get(s, netuid, hot)
                if live and uid is not None:
                    commit_blocks[uid] = min(live)
        owner_hot = self.SubnetOwnerHotkey.get(s, netuid)
        owner_uid = None if owner_hot is None else self.Uids.get(s, netuid, owner_hot)
        arrays = EpochArrays(
            n=n,
            current_block=now,
            stake=stake,
            last_update=np.array(self.LastUpdate.get(s, netuid), dtype=np.int64),
            block_at_registration=np.array(self.BlockAtRegistration.get(s, netuid), dtype=np.int64),
            validator_permit=np.array(self.ValidatorPermit.get(s, netuid), dtype=bool),
            commit_blocks=commit_blocks,
            weights=self._gather_rows(ctx, self.Weights, netuid),
            bonds=self._gather_rows(ctx, self.Bonds, netuid),
            **params,  # the hyperparameters the table marks as Yuma inputs (`epoch=`)
            stake_threshold=self.StakeThreshold.get(s),
            owner_uid=owner_uid,
            last_mechanism_step_block=self.LastMechansimStepBlock.get(s, netuid),
            rao_emission=self.PendingServerEmission.get(s, netuid) + self.PendingValidatorEmission.get(s, netuid),
        )
        return arrays, hotkeys

    def _gather_rows(self, ctx: Ctx, item, netuid: int) -> np.ndarray:
        """A double map of packed rows as (row uid, col uid, value) int64 triples, rows ascending."""
        rows, datas = [], []
        for uid, data in item.iter_prefix_values(ctx.state, netuid):
            if data:
                rows.append(uid)
                datas.append(data)
        if not datas:
            return np.zeros((0, 3), dtype=np.int64)
        pairs = _u16_le(b"".join(datas)).reshape(-1, 2)
        lens = np.array([len(d) // 4 for d in datas], dtype=np.int64)
        out = np.empty((pairs.shape[0], 3), dtype=np.int64)
        out[:, 0] = np.repeat(np.array(rows, dtype=np.int64), lens)
        out[:, 1:] = pairs
        return out

    # ------------------------------------------------------------------ write back
    def write_back(self, ctx: Ctx, netuid: int, out: EpochArraysOutput, old_bond_rows: np.ndarray) -> None:
        """Store the epoch's terms; `old_bond_rows` are the uids that held bonds before."""
        s = ctx.state
        self.Active.set(s, netuid, tuple(out.active.tolist()))
        self.ValidatorPermit.set(s, netuid, tuple(out.new_validator_permit.tolist()))
        for item, arr in (
            (self.StakeWeight, out.stake_weight),
            (self.Consensus, out.consensus),
            (self.Incentive, out.incentive),
            (self.Dividends, out.dividends),
            (self.ValidatorTrust, out.validator_trust),
            (self.Emission, out.emission),
        ):
            item.set(s, netuid, tuple(arr.tolist()))
        bonds = out.bonds
        starts = _row_starts(bonds)
        new_rows = bonds[starts, 0]
        if bonds.shape[0]:
            packed = bonds[:, 1:].astype("<u2").tobytes()
            ends = np.append(starts[1:], bonds.shape[0])
            for uid, a, b in zip(new_rows.tolist(), starts.tolist(), ends.tolist(), strict=True):
                self.Bonds.set(s, netuid, uid, packed[4 * a : 4 * b])
        for uid in old_bond_rows[~np.isin(old_bond_rows, new_rows)].tolist():
            self.Bonds.remove(s, netuid, uid)
        self.LastMechansimStepBlock.set(s, netuid, ctx.block_number)

    # ------------------------------------------------------------------ distribution
    def plan_payouts(
        self, ctx: Ctx, netuid: int, out: EpochArraysOutput, stake_incs: dict, hotkeys: list[bytes]
    ) -> EpochRun:
        """Add the epoch's payouts to `stake_incs[(hotkey, coldkey)]` (reads only, so every subnet
        due in this block is paid from the stake as it was before the epochs); returns the event.

        Miners share the pending server rao by the epoch's server emission, validators the pending
        validator rao by its validator emission (all of it when no miner earned incentive); the
        owner cut goes to the owner hotkey. Rounding leaves a remainder, carried as pending."""
        s = ctx.state
        pend_s = self.PendingServerEmission.get(s, netuid)
        pend_v = self.PendingValidatorEmission.get(s, netuid)
        owner_cut = self.PendingOwnerCut.get(s, netuid)
        inc = out.server_emission.tolist()
        val = out.validator_emission.tolist()
        inc_sum, val_sum = sum(inc), sum(val)
        inc_total = pend_s if inc_sum else 0
        div_total = pend_v + (0 if inc_sum else pend_s)
        paid_inc = paid_div = 0
        if inc_sum and inc_total:
            for uid, part in enumerate(inc):
                amount = inc_total * part // inc_sum
                if amount:
                    hot = hotkeys[uid]
                    _add(stake_incs, (hot, self.Owner.get(s, hot)), amount)
                    paid_inc += amount
        if val_sum and div_total:
            for uid, part in enumerate(val):
                amount = div_total * part // val_sum
                if amount:
                    self.plan_dividends(ctx, hotkeys[uid], amount, stake_incs)
                    paid_div += amount
        paid_cut = 0
        owner_hot = self.SubnetOwnerHotkey.get(s, netuid)
        if owner_cut and owner_hot is not None:
            _add(stake_incs, (owner_hot, self.Owner.get(s, owner_hot)), owner_cut)
            paid_cut = owner_cut
        left_s, left_v = (pend_s - paid_inc) if inc_sum else 0, div_total - paid_div
        for item, value in (
            (self.PendingServerEmission, left_s),
            (self.PendingValidatorEmission, left_v),
            (self.PendingOwnerCut, owner_cut - paid_cut),
        ):
            if value:
                item.set(s, netuid, value)
            else:
                item.remove(s, netuid)
        return EpochRun(netuid, paid_inc, paid_div, paid_cut, left_s + left_v)

    def plan_dividends(self, ctx: Ctx, hot: bytes, amount: int, stake_incs: dict) -> None:
        """The owner keeps the take; the rest goes to the hotkey's nominators by their stake (the
        rounding remainder to the owner)."""
        owner = self.Owner.get(ctx.state, hot)
        take = amount * self.hotkey_take(ctx, hot) // U16_MAX
        rest = amount - take
        noms = self.nominators(ctx, hot)
        total = sum(st for _, st in noms)
        paid = 0
        if total:
            for cold, st in noms:
                share = rest * st // total
                if share:
                    _add(stake_incs, (hot, cold), share)
                    paid += share
        _add(stake_incs, (hot, owner), take + rest - paid)

    def run_due_epochs(self, ctx: Ctx, netuids: list[int]) -> None:
        """Gather every due subnet, ONE batched Yuma call, then write back and pay."""
        due = self.due_epochs(ctx, netuids)
        if due:
            gathered = [self.gather_epoch_keys(ctx, netuid) for netuid in due]
            batch = [g[0] for g in gathered]
            self.apply_epochs(ctx, due, batch, self.run_yuma(batch), [g[1] for g in gathered])

    def apply_epochs(
        self,
        ctx: Ctx,
        due: list[int],
        batch: list[EpochArrays],
        outputs: list[EpochArraysOutput],
        hotkeys: list[list[bytes]],
    ) -> None:
        """Plan every subnet's payouts (reads only), write the epoch terms back, pay the stake."""
        stake_incs, events = self.plan_all_payouts(ctx, due, outputs, hotkeys)
        self.write_back_all(ctx, due, batch, outputs)
        self.increase_stakes(ctx, stake_incs)
        for ev in events:
            ctx.deposit_event(ev)

    def plan_all_payouts(
        self, ctx: Ctx, due: list[int], outputs: list[EpochArraysOutput], hotkeys: list[list[bytes]]
    ) -> tuple[dict[tuple[bytes, bytes], int], list[EpochRun]]:
        stake_incs: dict[tuple[bytes, bytes], int] = {}
        events = [
            self.plan_payouts(ctx, netuid, out, stake_incs, keys)
            for netuid, out, keys in zip(due, outputs, hotkeys, strict=True)
        ]
        return stake_incs, events

    def write_back_all(
        self, ctx: Ctx, due: list[int], batch: list[EpochArrays], outputs: list[EpochArraysOutput]
    ) -> None:
        for netuid, inp, out in zip(due, batch, outputs, strict=True):
            self.write_back(ctx, netuid, out, inp.bonds[_row_starts(inp.bonds), 0])


def _row_starts(triples: np.ndarray) -> np.ndarray:
    """Indices where a new row begins in (row, col, value) triples grouped by row."""
    rows = triples[:, 0]
    if rows.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.concatenate(([True], rows[1:] != rows[:-1])))


def _add(acc: dict, key: tuple[bytes, bytes], amount: int) -> None:
    if amount:
        acc[key] = acc.get(key, 0) + amount
