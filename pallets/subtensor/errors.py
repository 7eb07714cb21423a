"""SubtensorModule's errors: one append-only enum, names as subtensor's `macros/errors.rs`.

Each member is `Name = index, "what went wrong", "how to fix it"` (runtime.support.dispatch.DocEnum):
the index and the name are consensus data; the two texts are the error's doc, which the metadata
and the dry run (`system_dryRun`) hand to the SDK and the CLI.
"""

from __future__ import annotations

from runtime.support.dispatch import DocEnum


class Error(DocEnum):
    # subnets
    SubnetNotExists = 0, "the netuid names no subnet", "list the subnets (`taochain subnets list`)"
    SubnetLimitReached = (
        1, "the chain holds its maximum number of subnets and none can be pruned",
        "a root dissolve_network frees one",
    )
    CannotAffordLockCost = (
        2, "the coldkey's free balance is below the network lock cost and the fee",
        "fund the coldkey (the lock cost is `taochain subnets burn-cost`)",
    )
    NetworkTxRateLimitExceeded = (
        3, "this coldkey registered a subnet less than NetworkRateLimit blocks ago",
        "wait, or use another coldkey",
    )
    NonAssociatedColdKey = (
        4, "the hotkey belongs to another coldkey", "sign with that coldkey, or use a new hotkey",
    )
    MechanismDoesNotExist = (
        5, "the netuid names no subnet (only mechanism 1 exists)", "list the subnets (`taochain subnets list`)",
    )
    SubNetRegistrationDisabled = (
        6, "registration (or proof-of-work registration) is switched off on this subnet",
        "ask the owner or root to open it (registration_allowed / pow_registration_allowed), or register by burning",
    )
    FirstEmissionBlockNumberAlreadySet = (
        7, "start_call was already made for this subnet: its emission runs already", "nothing to do",
    )
    NeedWaitingMoreBlocksToStarCall = (
        8, "start_call comes too soon after the subnet was registered", "wait a few blocks and retry",
    )
    NotSubnetOwner = 9, "the signer does not own the subnet", "sign with the subnet owner's coldkey"
    SubtokenDisabled = 10, "the subnet's emission has not started", "the owner starts it with start_call"
    # registration
    RegistrationNotPermittedOnRootSubnet = (
        11, "netuid 0 is the root subnet: it takes no registrations", "register on a subnet above 0",
    )
    HotKeyAlreadyRegisteredInSubNet = (
        12, "the hotkey already has a uid on this subnet (see the metagraph)", "register another hotkey",
    )
    NotEnoughBalanceToStake = (
        13, "the coldkey's free balance is below the burn or stake amount plus the fee",
        "fund the coldkey (`taochain transfer --dest COLDKEY --amount ...`), or use a smaller amount",
    )
    NoNeuronIdAvailable = (
        14, "the subnet is full and every neuron is immune",
        "retry after the immunity period of the youngest neuron",
    )
    TooManyRegistrationsThisBlock = (
        15, "the subnet's per-block registration limit (max_regs_per_block) is reached", "retry next block",
    )
    TooManyRegistrationsThisInterval = (
        16, "the subnet took 3 x target_regs_per_interval registrations this interval",
        "retry after the next adjustment interval",
    )
    TransactorAccountShouldBeHotKey = (
        17, "proof-of-work registration must be signed by the hotkey it registers", "sign with the hotkey",
    )
    InvalidWorkBlock = (
        18, "the proof of work is over a block in the future or older than 3 blocks",
        "solve again over a recent block",
    )
    InvalidDifficulty = 19, "the seal does not meet the subnet's difficulty", "solve again"
    InvalidSeal = (
        20, "the seal is not the hash of (block hash, hotkey, nonce)", "solve again with this hotkey",
    )
    WorkAlreadyUsed = 21, "this seal was used to register already", "solve again"
    # staking
    HotKeyAccountNotExists = (
        22, "no coldkey owns this hotkey: it is registered nowhere",
        "register it first (`taochain subnets register --netuid N ...`)",
    )
    HotKeyNotDelegateAndSignerNotOwnHotKey = (
        23, "the hotkey belongs to another coldkey and is not a delegate",
        "stake on your own hotkey, or on a delegate's",
    )
    NotEnoughStakeToWithdraw = (
        24, "the coldkey's stake on this hotkey is below the amount",
        "unstake at most what `taochain stake list` shows",
    )
    AmountTooLow = 25, "the amount is below the minimum stake (0.002 TAO)", "stake at least τ0.002"
    HotKeyAlreadyDelegate = 26, "the hotkey is a delegate already", "nothing to do"
    DelegateTakeTooLow = (
        27, "the new take is not below the current one, or is below the minimum", "choose a take in range",
    )
    DelegateTakeTooHigh = (
        28, "the new take is not above the current one, or is above the maximum", "choose a take in range",
    )
    DelegateTxRateLimitExceeded = 29, "the take was increased too recently", "wait, then retry"
    # weights
    CanNotSetRootNetworkWeights = 30, "root weights are not set here", "set weights on a subnet above 0"
    WeightVecNotEqualSize = 31, "uids and weights differ in length", "give one weight per uid"
    UidsLengthExceedUidsInSubNet = (
        32, "more weights than the subnet has neurons", "weight only registered uids (see the metagraph)",
    )
    HotKeyNotRegisteredInSubNet = (
        33, "the hotkey has no uid on this subnet",
        "register it first (`taochain subnets register --netuid N --hotkey-uri ...`)",
    )
    NotEnoughStakeToSetWeights = 34, "the hotkey's stake is below the stake threshold", "stake more on the hotkey"
    IncorrectWeightVersionKey = (
        35, "the version key is below the subnet's weights_version",
        "pass at least the subnet's weights_version as the version key (--version-key)",
    )
    SettingWeightsTooFast = (
        36, "the hotkey set weights less than weights_rate_limit blocks ago", "wait, then set them again",
    )
    NeuronNoValidatorPermit = (
        37, "only validators (a permit, given at an epoch by stake) may weight other uids",
        "stake more and wait for an epoch, or weight only yourself",
    )
    DuplicateUids = 38, "a uid appears twice", "give each uid once"
    UidVecContainInvalidOne = (
        39, "a uid is not registered on the subnet", "weight only registered uids (see the metagraph)",
    )
    WeightVecLengthIsLow = (
        40, "fewer weights than the subnet's min_allowed_weights", "weight more uids",
    )
    MaxWeightExceeded = (
        41, "one weight is above the subnet's max_weights_limit share", "spread the weights over more uids",
    )
    CommitRevealEnabled = (
        42, "this subnet takes weights by commit and reveal only",
        "commit them (commit_weights: `taochain weights commit`), then reveal them",
    )
    CommitRevealDisabled = (
        43, "commit-reveal is off on this subnet", "set the weights directly (set_weights: `taochain weights set`)",
    )
    CommittingWeightsTooFast = (
        44, "the hotkey committed less than weights_rate_limit blocks ago", "wait, then commit again",
    )
    TooManyUnrevealedCommits = (
        45, "10 commits of this hotkey wait for their reveal already", "reveal them, or let them expire, first",
    )
    NoWeightsCommitFound = 46, "there is no pending commit for this hotkey", "commit first"
    RevealTooEarly = (
        47, "the commit's reveal epoch has not come", "reveal in its reveal epoch (see the pending commits)",
    )
    ExpiredWeightCommit = 48, "the commit's reveal epoch has passed", "commit again"
    InvalidRevealCommitHashNotMatch = (
        49, "nothing committed matches these uids, values, salt and version key",
        "reveal exactly what was committed",
    )
    InputLengthsUnequal = 50, "the batch lists differ in length", "give one entry per subnet in each list"
    # serving
    HotKeyNotRegisteredInNetwork = (
        51, "the hotkey has no uid on this subnet", "register it first (`taochain subnets register`)",
    )
    InvalidIpType = 52, "ip_type is not 4 or 6", "give an IPv4 or IPv6 address"
    InvalidIpAddress = (
        53, "0, loopback or out-of-range addresses are refused", "announce an address others can reach",
    )
    InvalidPort = 54, "the port is 0", "announce a real port"
    ServingRateLimitExceeded = (
        55, "the axon was announced less than serving_rate_limit blocks ago", "wait, then announce again",
    )
    # admin (shared with AdminUtils)
    TxRateLimitExceeded = (
        56, "the owner changed this hyperparameter too recently", "owners may change one only every few tempos: wait",
    )
    AdminActionProhibitedDuringWeightsWindow = (
        57, "hyperparameter changes are refused just before the subnet's epoch", "retry after the epoch",
    )
    CannotUseSystemAccount = (
        58, "the hotkey is a reserved system account (a subnet's lock account)", "use another hotkey",
    )
    RevealPeriodTooLarge = 59, "commit_reveal_period is above 100", "choose 1..100 epochs"
    RevealPeriodTooSmall = 60, "commit_reveal_period is 0", "choose 1..100 epochs"
    # timelocked commit-reveal
    IncorrectCommitRevealVersion = (
        61, "the commit's version is not the subnet's commit_reveal_version (see the hyperparameters)",
        "4 takes commit_timelocked_weights (`taochain weights commit --timelock`), 2 takes "
        "commit_weights/reveal_weights; root changes it with "
        "`taochain sudo set --netuid N --param commit_reveal_version --value 2|4`",
    )
    InvalidRevealRound = (
        62, "the reveal round is below the chain's last stored drand round (its pulse is public already)",
        "leave the reveal round out to let the SDK pick one, or see `taochain drand status`",
    )
    CommitTooLarge = 63, "the timelocked commit is over 5000 bytes", "weight fewer uids"
