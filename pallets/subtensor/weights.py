"""Weights: set_weights (subtensor's checks in order), commit-reveal v2 and serve_axon.

v2 commitment (`get_commit_hash`, identical to bittensor's `generate_weight_hash`): blake2b-256 of
the SCALE encoding of (AccountId32 hotkey, u16 netuid, Vec<u16> uids, Vec<u16> values, Vec<u16>
salt, u64 version_key), over the raw (not upscaled) values. A commit made in epoch e may be
revealed only in epoch e + RevealPeriodEpochs and expires after it; classic epochs:
epoch(b) = (b + netuid + 1) // (tempo + 1).
"""

from __future__ import annotations

from typing import Annotated

from runtime.support import tlock
from runtime.support.codec import U8, U16, U32, U64, U128, BytesT, Hash, pack_pairs, unpack_pairs
from runtime.support.dispatch import Ctx, DispatchError, Origin, call, ensure, ensure_signed
from runtime.support.hashing import blake2_256, commit_hash

from .errors import Error
from .events import (
    AxonServed,
    DropReason,
    TimelockedWeightsCommitted,
    TimelockedWeightsDropped,
    TimelockedWeightsRevealed,
    WeightsCommitted,
    WeightsRevealed,
    WeightsSet,
)
from .store import MAX_TIMELOCKED_COMMIT, AxonInfo, Store, TimelockedCommit, WeightCommit

TIMELOCK_VERSION, HASH_VERSION = 4, 2
# the call's argument takes up to twice the limit, so that an oversize commit gets CommitTooLarge
# rather than a decode error
CommitBytes = Annotated[bytes, BytesT(max_len=2 * MAX_TIMELOCKED_COMMIT)]

U16_MAX = 0xFFFF
MAX_WEIGHTS = 4096

U16s = tuple[U16, ...]


def max_upscale(values) -> list[int]:
    """w' = round(w * 65535 / max(w)) (half up); all zeros stay zero."""
    m = max(values) if values else 0
    if m == 0:
        return list(values)
    return [(2 * w * U16_MAX + m) // (2 * m) for w in values]


def is_valid_ip(ip_type: int, ip: int) -> bool:
    if ip_type == 4:
        return 0 < ip < (1 << 32) - 1 and ip != 0x7F000001
    return 0 < ip < (1 << 128) - 1 and ip != 1


class WeightsMixin(Store):
    # ------------------------------------------------------------------ helpers
    def current_epoch(self, ctx: Ctx, netuid: int) -> int:
        return self.epoch_index(netuid, self.Tempo.get(ctx.state, netuid), ctx.block_number)

    def _uid_of(self, ctx: Ctx, netuid: int, hot: bytes) -> int | None:
        return self.Uids.get(ctx.state, netuid, hot)

    def _set_vector_item(self, ctx: Ctx, item, netuid: int, uid: int, value) -> None:
        vec = list(item.get(ctx.state, netuid))
        if uid < len(vec):
            vec[uid] = value
            item.set(ctx.state, netuid, tuple(vec))

    def internal_set_weights(
        self, ctx: Ctx, hot: bytes, netuid: int, uids, values, version_key: int
    ) -> None:
        """subtensor's `internal_set_weights`: the 14 checks in order, then store."""
        s, now = ctx.state, ctx.block_number
        ensure(netuid != 0, Error.CanNotSetRootNetworkWeights)
        ensure(len(uids) == len(values), Error.WeightVecNotEqualSize, "uids and weights differ in length")
        ensure(self.subnet_exists(ctx, netuid), Error.MechanismDoesNotExist, f"there is no subnet {netuid}")
        n = self.SubnetworkN.get(s, netuid)
        ensure(len(uids) <= n, Error.UidsLengthExceedUidsInSubNet)
        uid = self._uid_of(ctx, netuid, hot)
        ensure(uid is not None, Error.HotKeyNotRegisteredInSubNet, "register the hotkey on this subnet first")
        is_owner = self.SubnetOwnerHotkey.get(s, netuid) == hot
        ensure(
            is_owner or self.TotalHotkeyStake.get(s, hot) >= self.StakeThreshold.get(s),
            Error.NotEnoughStakeToSetWeights,
        )
        key = self.WeightsVersionKey.get(s, netuid)
        ensure(
            key == 0 or version_key >= key,
            Error.IncorrectWeightVersionKey,
            f"the subnet needs version key >= {key}",
        )
        cr = self.CommitRevealWeightsEnabled.get(s, netuid)
        if not cr:
            last = self.LastUpdate.get(s, netuid)[uid]
            limit = self.WeightsSetRateLimit.get(s, netuid)
            ensure(last == 0 or now - last >= limit, Error.SettingWeightsTooFast, f"wait {limit} blocks between sets")
        self_weight = len(uids) == 1 and uids[0] == uid
        permits = self.ValidatorPermit.get(s, netuid)
        ensure(
            self_weight or is_owner or (uid < len(permits) and permits[uid]),
            Error.NeuronNoValidatorPermit,
            "only neurons with a validator permit (top stake, given at an epoch) may weight others",
        )
        ensure(len(set(uids)) == len(uids), Error.DuplicateUids)
        ensure(all(u < n for u in uids), Error.UidVecContainInvalidOne, f"uids must be below {n}")
        ensure(
            self_weight or len(uids) >= min(self.MinAllowedWeights.get(s, netuid), n),
            Error.WeightVecLengthIsLow,
        )
        scaled = max_upscale(values)
        limit_w = self.MaxWeightsLimit.get(s, netuid)
        if limit_w < U16_MAX and not self_weight:
            total = sum(scaled)
            ensure(
                total == 0 or all(w * U16_MAX // total <= limit_w for w in scaled),
                Error.MaxWeightExceeded,
            )
        self.Weights.set(s, netuid, uid, pack_pairs(zip(uids, scaled, strict=True)))
        if not cr:
            self._set_vector_item(ctx, self.LastUpdate, netuid, uid, now)
        ctx.deposit_event(WeightsSet(netuid, uid))

    def weights_of(self, ctx: Ctx, netuid: int, uid: int) -> list[tuple[int, int]]:
        return unpack_pairs(self.Weights.get(ctx.state, netuid, uid))

    # ------------------------------------------------------------------ calls
    @call(0, weight=lambda netuid, dests, weights, version_key: 60_000_000 + 300_000 * len(dests), pays_fee=False)
    def set_weights(
        self, ctx: Ctx, origin: Origin, netuid: U16, dests: U16s, weights: U16s, version_key: U64
    ) -> None:
        """Set the signing hotkey's weights on `netuid` (values are max-upscaled to 65535).
        Origin: the hotkey; free. Events: WeightsSet. Errors: CommitRevealEnabled, then subtensor's
        14 checks in order (CanNotSetRootNetworkWeights ... MaxWeightExceeded)."""
        hot = ensure_signed(origin)
        ensure(
            not self.CommitRevealWeightsEnabled.get(ctx.state, netuid),
            Error.CommitRevealEnabled,
            "this subnet uses commit-reveal: commit_weights, then reveal_weights",
        )
        self.internal_set_weights(ctx, hot, netuid, dests, weights, version_key)

    def _commit_checks(self, ctx: Ctx, hot: bytes, netuid: int, version: int, version_ok: bool) -> int:
        """The checks shared by hash and timelocked commits, in subtensor's order; the uid."""
        s, now = ctx.state, ctx.block_number
        ensure(self.subnet_exists(ctx, netuid), Error.MechanismDoesNotExist, f"there is no subnet {netuid}")
        ensure(
            self.CommitRevealWeightsEnabled.get(s, netuid),
            Error.CommitRevealDisabled,
            "commit-reveal is off on this subnet: use set_weights",
        )
        have = self.CommitRevealVersion.get(s, netuid)
        ensure(
            version_ok and have == version,
            Error.IncorrectCommitRevealVersion,
            f"the commit's commit_reveal_version must be {version}" if have == version else
            f"the subnet's commit_reveal_version is {have}: use "
            + ("commit_timelocked_weights" if have == TIMELOCK_VERSION else "commit_weights"),
        )
        uid = self._uid_of(ctx, netuid, hot)
        ensure(uid is not None, Error.HotKeyNotRegisteredInSubNet, "register the hotkey on this subnet first")
        last = self.LastUpdate.get(s, netuid)[uid]
        limit = self.WeightsSetRateLimit.get(s, netuid)
        ensure(last == 0 or now - last >= limit, Error.CommittingWeightsTooFast, f"wait {limit} blocks")
        return uid

    def _commit(self, ctx: Ctx, hot: bytes, netuid: int, commit: bytes) -> None:
        s, now = ctx.state, ctx.block_number
        uid = self._commit_checks(ctx, hot, netuid, HASH_VERSION, True)
        cur = self.current_epoch(ctx, netuid)
        period = self.RevealPeriodEpochs.get(s, netuid)
        queue = [c for c in self.WeightCommits.get(s, netuid, hot) if cur <= c.epoch + period]
        ensure(len(queue) < self.cfg.max_pending_commits, Error.TooManyUnrevealedCommits)
        queue.append(WeightCommit(commit, cur, now))
        self.WeightCommits.set(s, netuid, hot, tuple(queue))
        self._set_vector_item(ctx, self.LastUpdate, netuid, uid, now)
        ctx.deposit_event(WeightsCommitted(hot, netuid, commit))

    def _reveal(self, ctx: Ctx, hot: bytes, netuid: int, uids, values, salt, version_key: int) -> None:
        s = ctx.state
        ensure(
            self.CommitRevealWeightsEnabled.get(s, netuid),
            Error.CommitRevealDisabled,
            "commit-reveal is off on this subnet: use set_weights",
        )
        queue = list(self.WeightCommits.get(s, netuid, hot))
        ensure(bool(queue), Error.NoWeightsCommitFound)
        digest = commit_hash(hot, netuid, uids, values, salt, version_key)
        cur = self.current_epoch(ctx, netuid)
        period = self.RevealPeriodEpochs.get(s, netuid)
        expired = [c for c in queue if cur > c.epoch + period]
        live = [c for c in queue if cur <= c.epoch + period]
        was_expired = any(c.hash == digest for c in expired)
        ensure(
            bool(live),
            Error.ExpiredWeightCommit if was_expired else Error.NoWeightsCommitFound,
            "the commit's reveal epoch has passed" if was_expired else "",
        )
        pos = next((i for i, c in enumerate(live) if c.hash == digest), None)
        if pos is None:
            ensure(
                False,
                Error.ExpiredWeightCommit if was_expired else Error.InvalidRevealCommitHashNotMatch,
                "" if was_expired else "no pending commit matches these uids, values, salt and version key",
            )
        entry = live[pos]  # type: ignore[index]
        ensure(
            cur == entry.epoch + period,
            Error.RevealTooEarly,
            f"reveal in epoch {entry.epoch + period} (now {cur}), blocks until the next epoch: "
            f"{self.blocks_until_next_epoch(netuid, self.Tempo.get(s, netuid), ctx.block_number) + 1}",
        )
        rest = live[pos + 1 :]  # type: ignore[operator]
        if rest:
            self.WeightCommits.set(s, netuid, hot, tuple(rest))
        else:
            self.WeightCommits.remove(s, netuid, hot)
        self.internal_set_weights(ctx, hot, netuid, uids, values, version_key)
        ctx.deposit_event(WeightsRevealed(hot, netuid, digest))

    @call(96, weight=40_000_000, pays_fee=False)
    def commit_weights(self, ctx: Ctx, origin: Origin, netuid: U16, commit_hash: Hash) -> None:
        """Commit to weights by their v2 hash; reveal them in epoch commit + RevealPeriodEpochs.
        Origin: the hotkey; free. Events: WeightsCommitted. Errors: MechanismDoesNotExist,
        CommitRevealDisabled, HotKeyNotRegisteredInSubNet, CommittingWeightsTooFast,
        TooManyUnrevealedCommits."""
        self._commit(ctx, ensure_signed(origin), netuid, commit_hash)

    @call(
        97,
        weight=lambda netuid, uids, values, salt, version_key: 70_000_000 + 300_000 * len(uids),
        pays_fee=False,
    )
    def reveal_weights(
        self, ctx: Ctx, origin: Origin, netuid: U16, uids: U16s, values: U16s, salt: U16s, version_key: U64
    ) -> None:
        """Reveal committed weights; they are then set as by set_weights. Origin: the hotkey; free.
        Events: WeightsRevealed, WeightsSet. Errors: CommitRevealDisabled, NoWeightsCommitFound,
        ExpiredWeightCommit, InvalidRevealCommitHashNotMatch, RevealTooEarly, then set_weights'."""
        self._reveal(ctx, ensure_signed(origin), netuid, uids, values, salt, version_key)

    @call(100, weight=lambda netuids, hashes: 40_000_000 * max(1, len(netuids)), pays_fee=False)
    def batch_commit_weights(
        self, ctx: Ctx, origin: Origin, netuids: tuple[U16, ...], hashes: tuple[Hash, ...]
    ) -> None:
        """commit_weights for several subnets. Errors: InputLengthsUnequal, then commit_weights'."""
        hot = ensure_signed(origin)
        ensure(len(netuids) == len(hashes), Error.InputLengthsUnequal)
        for netuid, h in zip(netuids, hashes, strict=True):
            self._commit(ctx, hot, netuid, h)

    @call(
        98,
        weight=lambda netuid, uids_list, values_list, salts_list, version_keys: sum(
            70_000_000 + 300_000 * len(u) for u in uids_list
        ) or 70_000_000,
        pays_fee=False,
    )
    def batch_reveal_weights(
        self,
        ctx: Ctx,
        origin: Origin,
        netuid: U16,
        uids_list: tuple[U16s, ...],
        values_list: tuple[U16s, ...],
        salts_list: tuple[U16s, ...],
        version_keys: tuple[U64, ...],
    ) -> None:
        """Reveal several commits of one subnet, oldest first. Errors: InputLengthsUnequal, then
        reveal_weights'."""
        hot = ensure_signed(origin)
        k = len(uids_list)
        ensure(
            len(values_list) == k and len(salts_list) == k and len(version_keys) == k,
            Error.InputLengthsUnequal,
        )
        for uids, values, salt, vk in zip(uids_list, values_list, salts_list, version_keys, strict=True):
            self._reveal(ctx, hot, netuid, uids, values, salt, vk)

    # ------------------------------------------------------------------ timelocked commit-reveal
    @call(
        113,
        weight=lambda netuid, commit, reveal_round, commit_reveal_version: 45_000_000 + 2_000 * len(commit),
        pays_fee=False,
    )
    def commit_timelocked_weights(
        self,
        ctx: Ctx,
        origin: Origin,
        netuid: U16,
        commit: CommitBytes,
        reveal_round: U64,
        commit_reveal_version: U16,
    ) -> None:
        """Commit weights encrypted to drand round `reveal_round` (timelock, as bittensor-drand
        makes them); the chain decrypts and sets them in epoch commit + RevealPeriodEpochs, once the
        round's pulse is stored. Origin: the hotkey; free. Events: TimelockedWeightsCommitted.
        Errors: CommitTooLarge, MechanismDoesNotExist, CommitRevealDisabled,
        IncorrectCommitRevealVersion, HotKeyNotRegisteredInSubNet, CommittingWeightsTooFast,
        TooManyUnrevealedCommits, InvalidRevealRound."""
        hot = ensure_signed(origin)
        s, now = ctx.state, ctx.block_number
        ensure(len(commit) <= MAX_TIMELOCKED_COMMIT, Error.CommitTooLarge, f"at most {MAX_TIMELOCKED_COMMIT} bytes")
        uid = self._commit_checks(ctx, hot, netuid, TIMELOCK_VERSION, commit_reveal_version == TIMELOCK_VERSION)
        cur = self.current_epoch(ctx, netuid)
        entries = self.TimelockedWeightCommits.get(s, netuid, cur)
        ensure(
            sum(1 for e in entries if e.who == hot) < self.cfg.max_pending_commits,
            Error.TooManyUnrevealedCommits,
        )
        stored = self.beacon.last_stored_round(ctx)
        ensure(
            reveal_round >= stored,
            Error.InvalidRevealRound,
            f"round {reveal_round} is below the last stored drand round {stored}: its pulse is public already",
        )
        self.TimelockedWeightCommits.set(s, netuid, cur, entries + (TimelockedCommit(hot, now, commit, reveal_round),))
        self._set_vector_item(ctx, self.LastUpdate, netuid, uid, now)
        ctx.deposit_event(TimelockedWeightsCommitted(hot, netuid, blake2_256(commit), reveal_round))

    def reveal_timelocked_commits(self, ctx: Ctx, netuids) -> None:
        """Every block (on_initialize): decrypt the commits of each subnet's reveal epoch whose
        round's pulse is stored and set their weights; older epochs' leftovers are dropped."""
        s = ctx.state
        for netuid in netuids:
            if self.CommitRevealVersion.get(s, netuid) != TIMELOCK_VERSION:
                continue
            cur = self.current_epoch(ctx, netuid)
            reveal_epoch = cur - self.RevealPeriodEpochs.get(s, netuid)
            # the previous reveal epoch's leftovers waited for pulses that never came
            if reveal_epoch >= 1:
                left = self.TimelockedWeightCommits.get(s, netuid, reveal_epoch - 1)
                for e in left:
                    ctx.deposit_event(TimelockedWeightsDropped(netuid, e.who, int(DropReason.PulseMissing), 0))
                if left:
                    self.TimelockedWeightCommits.remove(s, netuid, reveal_epoch - 1)
            if reveal_epoch < 0:
                continue
            entries = self.TimelockedWeightCommits.get(s, netuid, reveal_epoch)
            if not entries:
                continue
            kept = []
            for e in entries:
                sig = self.beacon.pulse_signature(ctx, e.reveal_round)
                if sig is None:
                    kept.append(e)  # retried next block, until the epoch ends
                    continue
                self._reveal_one(ctx, netuid, e, sig)
            if kept:
                self.TimelockedWeightCommits.set(s, netuid, reveal_epoch, tuple(kept))
            else:
                self.TimelockedWeightCommits.remove(s, netuid, reveal_epoch)

    def _reveal_one(self, ctx: Ctx, netuid: int, e: TimelockedCommit, signature: bytes) -> None:
        def drop(reason: DropReason, error: int = 0) -> None:
            ctx.deposit_event(TimelockedWeightsDropped(netuid, e.who, int(reason), error))

        try:
            plain = tlock.decrypt(e.commit, signature, self.beacon.bls)
        except tlock.TlockError:
            return drop(DropReason.Undecryptable)
        try:
            hot, uids, values, vk = tlock.decode_weights_payload(plain)
        except tlock.TlockError:
            return drop(DropReason.BadPayload)
        if hot is not None and hot != e.who:
            return drop(DropReason.HotkeyMismatch)
        s = ctx.state
        s.start()
        events_before = len(ctx.events)
        try:
            self.internal_set_weights(ctx, e.who, netuid, uids, values, vk)
        except DispatchError as err:
            s.rollback()
            del ctx.events[events_before:]
            return drop(DropReason.SetWeightsFailed, err.error_index if err.pallet_index == self.INDEX else 0)
        s.commit()
        ctx.deposit_event(TimelockedWeightsRevealed(netuid, e.who))
        return None

    @call(4, weight=45_000_000, pays_fee=False)
    def serve_axon(
        self,
        ctx: Ctx,
        origin: Origin,
        netuid: U16,
        version: U32,
        ip: U128,
        port: U16,
        ip_type: U8,
        protocol: U8,
        placeholder1: U8,
        placeholder2: U8,
    ) -> None:
        """Announce the hotkey's axon endpoint on `netuid`. Origin: the hotkey; free.
        Events: AxonServed. Errors: HotKeyNotRegisteredInNetwork, InvalidIpType, InvalidIpAddress,
        InvalidPort, ServingRateLimitExceeded."""
        hot = ensure_signed(origin)
        s, now = ctx.state, ctx.block_number
        ensure(self.IsNetworkMember.get(s, hot, netuid), Error.HotKeyNotRegisteredInNetwork)
        ensure(ip_type in (4, 6), Error.InvalidIpType, "ip_type must be 4 or 6")
        ensure(is_valid_ip(ip_type, ip), Error.InvalidIpAddress, "0 and loopback addresses are refused")
        ensure(port != 0, Error.InvalidPort)
        prev = self.Axons.get(s, netuid, hot)
        limit = self.ServingRateLimit.get(s, netuid)
        ensure(
            prev is None or limit == 0 or now - prev.block >= limit,
            Error.ServingRateLimitExceeded,
            f"wait {limit} blocks between announcements",
        )
        self.Axons.set(
            s, netuid, hot, AxonInfo(now, version, ip, port, ip_type, protocol, placeholder1, placeholder2)
        )
        ctx.deposit_event(AxonServed(netuid, hot))
