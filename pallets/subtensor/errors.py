"""SubtensorModule's errors: one append-only enum, names as subtensor's `macros/errors.rs`."""

from __future__ import annotations

from enum import IntEnum


class Error(IntEnum):
    # subnets
    SubnetNotExists = 0  # the netuid names no subnet
    SubnetLimitReached = 1  # as many subnets as SubnetLimit exist and none can be pruned
    CannotAffordLockCost = 2  # the coldkey's free balance is below the network lock cost
    NetworkTxRateLimitExceeded = 3  # this coldkey registered a subnet less than NetworkRateLimit blocks ago
    NonAssociatedColdKey = 4  # the hotkey belongs to another coldkey
    MechanismDoesNotExist = 5  # only mechanism 1 (the main one) exists
    SubNetRegistrationDisabled = 6  # registration is switched off on this subnet
    FirstEmissionBlockNumberAlreadySet = 7  # start_call was already made
    NeedWaitingMoreBlocksToStarCall = 8  # start_call comes too soon after the subnet was registered
    NotSubnetOwner = 9  # the signer does not own the subnet
    SubtokenDisabled = 10  # the subnet's emission has not started (start_call)
    # registration
    RegistrationNotPermittedOnRootSubnet = 11  # netuid 0 is the root subnet
    HotKeyAlreadyRegisteredInSubNet = 12  # the hotkey already has a uid on this subnet
    NotEnoughBalanceToStake = 13  # the coldkey's balance cannot cover the burn or the stake
    NoNeuronIdAvailable = 14  # the subnet is full and every neuron is immune
    TooManyRegistrationsThisBlock = 15  # MaxRegistrationsPerBlock reached in this block
    TooManyRegistrationsThisInterval = 16  # 3 x TargetRegistrationsPerInterval reached this interval
    TransactorAccountShouldBeHotKey = 17  # PoW register must be signed by the hotkey it registers
    InvalidWorkBlock = 18  # the work's block is in the future or older than 3 blocks
    InvalidDifficulty = 19  # the seal does not meet the subnet's difficulty
    InvalidSeal = 20  # the work is not the seal of (block hash, hotkey, nonce)
    WorkAlreadyUsed = 21  # this seal was already used to register (taochain: subtensor never read UsedWork)
    # staking
    HotKeyAccountNotExists = 22  # no coldkey owns this hotkey (register it first)
    HotKeyNotDelegateAndSignerNotOwnHotKey = 23  # nominating needs a delegate hotkey
    NotEnoughStakeToWithdraw = 24  # the coldkey's stake on the hotkey is below the amount
    AmountTooLow = 25  # below the minimum stake amount
    HotKeyAlreadyDelegate = 26  # the hotkey is a delegate already
    DelegateTakeTooLow = 27  # the new take is not below the current one, or below the minimum
    DelegateTakeTooHigh = 28  # the new take is not above the current one, or above the maximum
    DelegateTxRateLimitExceeded = 29  # the take was increased too recently
    # weights
    CanNotSetRootNetworkWeights = 30  # root weights are not set here
    WeightVecNotEqualSize = 31  # uids and values differ in length
    UidsLengthExceedUidsInSubNet = 32  # more weights than neurons
    HotKeyNotRegisteredInSubNet = 33  # the hotkey has no uid on this subnet
    NotEnoughStakeToSetWeights = 34  # stake below StakeThreshold
    IncorrectWeightVersionKey = 35  # version key below the subnet's WeightsVersionKey
    SettingWeightsTooFast = 36  # WeightsSetRateLimit blocks have not passed
    NeuronNoValidatorPermit = 37  # only validators may weight other neurons
    DuplicateUids = 38  # a uid appears twice
    UidVecContainInvalidOne = 39  # a uid >= n
    WeightVecLengthIsLow = 40  # fewer weights than MinAllowedWeights
    MaxWeightExceeded = 41  # a normalised weight is above MaxWeightsLimit
    CommitRevealEnabled = 42  # this subnet takes weights by commit and reveal only
    CommitRevealDisabled = 43  # commit-reveal is off on this subnet: use set_weights
    CommittingWeightsTooFast = 44  # WeightsSetRateLimit blocks have not passed since the last commit
    TooManyUnrevealedCommits = 45  # 10 commits wait for their reveal already
    NoWeightsCommitFound = 46  # no pending commit for this hotkey
    RevealTooEarly = 47  # the commit's reveal epoch has not come
    ExpiredWeightCommit = 48  # the commit's reveal epoch has passed
    InvalidRevealCommitHashNotMatch = 49  # nothing committed matches these uids, values, salt, version
    InputLengthsUnequal = 50  # the batch lists differ in length
    # serving
    HotKeyNotRegisteredInNetwork = 51  # serve_axon: the hotkey is registered on no subnet given
    InvalidIpType = 52  # ip_type is not 4 or 6
    InvalidIpAddress = 53  # 0, loopback or out of range for the ip type
    InvalidPort = 54  # port 0
    ServingRateLimitExceeded = 55  # ServingRateLimit blocks have not passed
    # admin (shared with AdminUtils)
    TxRateLimitExceeded = 56  # the owner changed this hyperparameter too recently
    AdminActionProhibitedDuringWeightsWindow = 57  # too close to the subnet's next epoch
    CannotUseSystemAccount = 58  # the hotkey is a reserved system account (a subnet's lock account)
    RevealPeriodTooLarge = 59  # commit_reveal_period above 100
    RevealPeriodTooSmall = 60  # commit_reveal_period 0
    # timelocked commit-reveal
    IncorrectCommitRevealVersion = 61  # the commit's version is not the subnet's commit_reveal_version
    InvalidRevealRound = 62  # the reveal round is below the chain's last stored drand round
    CommitTooLarge = 63  # a timelocked commit is over 5000 bytes
