"""taochain: a Substrate-style Bittensor chain in Python."""
