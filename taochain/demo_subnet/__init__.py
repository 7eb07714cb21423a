"""A live demo subnet on a local testnet: `taochain testnet --demo` (what `make run` starts).

The launcher starts the authority nodes; then, with the SDK only (taochain.client):

* subnet 1 is created (owner //Alice), started, and given a short tempo;
* N miners and M validators are registered by burn (coldkeys //Demo//miner<i> and
  //Demo//validator<j>, funded by //Alice; hotkeys <coldkey>//hot); the validators get stake;
* each miner (`python -m taochain.demo_subnet.miner`) trains a classifier on the 8x8 handwritten
  digits that ship with scikit-learn, from weak (a depth-4 tree on 5 % of the training split) to
  strong (an RBF SVC on all of it), serves predictions over HTTP and announces its axon on chain;
* each validator (`python -m taochain.demo_subnet.validator`) finds the miners' axons in the
  metagraph, sends them held-out images, scores accuracy and latency and commits weights every
  epoch (timelocked to a beacon round when commit_reveal_version is 4: the chain reveals them);
* `--copycat` adds a validator that only copies the weights it can read on chain: with
  commit-reveal those are last epoch's revealed ones, so it lags an epoch behind;
* the live view shows the nodes' blocks and, per epoch, the metagraph (accuracy, stake,
  incentive, dividends, trust, emission): Yuma rewards the best classifier.

Modules: `models` (data split, the miner ladder, scoring), `miner`, `validator`, `run` (the
orchestration and the live view).
"""
