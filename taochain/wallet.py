"""btcli-style wallets on disk: an encrypted coldkey, plain hotkeys, and public-key files.

Layout (as btwallet's), under `<path>/<NAME>/`:

- `coldkey`: the coldkey's keyfile JSON, encrypted (see below); `coldkeypub.txt`: the same JSON
  without secrets, so the address is known without a password.
- `hotkeys/<H>`: a hotkey's keyfile JSON in the clear (as btwallet writes hotkeys by default);
  `hotkeys/<H>pub.txt`: its public part.

Keyfile JSON has btwallet's fields: `accountId`, `publicKey` (0x hex), `privateKey` (0x hex),
`secretPhrase` (the BIP39 phrase or null), `secretSeed` (0x hex of the 32-byte seed, or null) and
`ss58Address` (prefix 42), plus `scheme`. New keys are sr25519 (`scheme: "sr25519"`), as btcli's and
Substrate's, with Substrate's derivation (`runtime.support.keys`), so a phrase gives the same address
as in btcli: `privateKey` is schnorrkel's 64-byte secret key, `secretSeed` the phrase's mini secret
(null for a key restored from a secret key or a derived URI). An ed25519 keyfile (`scheme:
"ed25519"`, and every file without a `scheme`, which older taochain wrote) has `privateKey` = seed ++
public and `secretSeed` the 32-byte seed.

Coldkey encryption (not btwallet's format, which uses a fixed salt): the file is
`b"$NACL"`, a version byte (1), opslimit (u64 LE), memlimit (u64 LE), a random 16-byte salt, then
a NaCl secretbox (24-byte nonce + MAC + ciphertext). The box key is Argon2id(password, salt,
opslimit, memlimit). New files use Argon2id's INTERACTIVE limits (opslimit 2, 64 MiB; ~0.1 s)
unless `TAOCHAIN_WALLET_KDF` is `moderate` (~1 s) or `sensitive` (~5 s); the limits are stored in
the file, so any file decrypts whatever the variable says now.

Every file is written with mode 0600 (folders 0700), through a temporary file and a rename.
Secrets are never logged; the caller shows the mnemonic once, at creation.
"""

from __future__ import annotations

import json
import os
import secrets
import struct
import sys
import tempfile
from pathlib import Path

import nacl.exceptions
import nacl.pwhash
import nacl.secret
import nacl.utils

from runtime.support.keys import (
    DEV_ACCOUNTS,
    ED25519,
    SCHEMES,
    SR25519,
    InvalidKey,
    Keypair,
    keypair_from_mnemonic,
    keypair_from_seed,
    keypair_from_uri,
    mini_secret_from_mnemonic,
    ss58_decode,
    ss58_encode,
)

__all__ = [
    "DEFAULT_WALLET_PATH",
    "Wallet",
    "WalletError",
    "default_wallet_path",
    "env_password",
    "generate_mnemonic",
    "keyfile_json",
    "keypair_from_secret",
    "list_wallets",
    "password_env_name",
    "resolve_coldkey",
    "resolve_hotkey",
    "resolve_hotkey_public",
    "uri_keypair",
]


def default_wallet_path() -> Path:
    """`$TAOCHAIN_WALLET_PATH`, else `~/.taochain/wallets` (read now, not at import)."""
    env = os.environ.get("TAOCHAIN_WALLET_PATH")
    return Path(env).expanduser() if env else Path("~/.taochain/wallets").expanduser()


DEFAULT_WALLET_PATH = default_wallet_path()

MAGIC = b"$NACL"
FORMAT_VERSION = 1
SALT_LEN = 16
_HEADER = struct.Struct("<5sBQQ16s")  # magic, version, opslimit, memlimit, salt

_A = nacl.pwhash.argon2id
KDF_LIMITS: dict[str, tuple[int, int]] = {
    "interactive": (_A.OPSLIMIT_INTERACTIVE, _A.MEMLIMIT_INTERACTIVE),
    "moderate": (_A.OPSLIMIT_MODERATE, _A.MEMLIMIT_MODERATE),
    "sensitive": (_A.OPSLIMIT_SENSITIVE, _A.MEMLIMIT_SENSITIVE),
}
# Bounds on what a file may ask for, so a corrupt header cannot demand terabytes or hours.
_MAX_OPSLIMIT = _A.OPSLIMIT_MAX if _A.OPSLIMIT_MAX < 1 << 32 else 1 << 32
_MAX_MEMLIMIT = 4 << 30

N_WORDS = (12, 15, 18, 21, 24)
_PASSWORD_ENV = "TAOCHAIN_WALLET_PASSWORD"


def _new_or_restored(
    mnemonic: str | None, seed: str | bytes | None, n_words: int, scheme: str = SR25519
) -> tuple[Keypair, str | None]:
    """A key from the mnemonic or seed given, or from a fresh mnemonic of `n_words` words."""
    if mnemonic is None and seed is None:
        phrase = generate_mnemonic(n_words)
        return keypair_from_secret(phrase, None, scheme)[0], phrase
    return keypair_from_secret(mnemonic, seed, scheme)


class WalletError(Exception):
    """A wallet problem, with a one-line message that says what is wrong and how to fix it."""


# --- helpers ---------------------------------------------------------------------------------------


def _kdf_limits() -> tuple[int, int]:
    name = os.environ.get("TAOCHAIN_WALLET_KDF", "interactive").strip().lower() or "interactive"
    if name not in KDF_LIMITS:
        raise WalletError(
            f"TAOCHAIN_WALLET_KDF={name!r} is not known; use one of {', '.join(KDF_LIMITS)}"
        )
    return KDF_LIMITS[name]


def generate_mnemonic(n_words: int = 12) -> str:
    """A fresh BIP39 English phrase of `n_words` (12, 15, 18, 21 or 24) words."""
    from mnemonic import Mnemonic  # noqa: PLC0415 - reads its word list on import

    if n_words not in N_WORDS:
        raise WalletError(f"--n-words must be one of 12, 15, 18, 21, 24 (got {n_words})")
    return Mnemonic("english").generate(strength=n_words * 32 // 3)


def keypair_from_secret(
    mnemonic: str | None, seed: str | bytes | None, scheme: str = SR25519
) -> tuple[Keypair, str | None]:
    """(key, normalised phrase or None) from a BIP39 phrase or a 32-byte seed (bytes or 0x hex;
    sr25519 also takes schnorrkel's 64-byte secret key), sr25519 unless told."""
    if scheme not in SCHEMES:
        raise WalletError(f"unknown key scheme {scheme!r}; use one of {', '.join(SCHEMES)}")
    try:
        if mnemonic is not None:
            phrase = " ".join(mnemonic.split())
            return keypair_from_mnemonic(phrase, scheme=scheme), phrase
        if seed is not None:
            if isinstance(seed, str):
                text = seed[2:] if seed.startswith(("0x", "0X")) else seed
                try:
                    seed = bytes.fromhex(text)
                except ValueError:
                    raise WalletError("--seed must be 0x followed by 64 hex digits") from None
            if scheme == SR25519 and len(seed) == 64:  # a secret key (from a derived URI)
                return keypair_from_uri("0x" + bytes(seed).hex(), SR25519), None
            return keypair_from_seed(bytes(seed), scheme), None
    except InvalidKey as exc:
        raise WalletError(f"invalid {'mnemonic' if mnemonic is not None else 'seed'}: {exc}") from None
    raise WalletError("give a mnemonic or a seed")


def keyfile_json(key: Keypair, phrase: str | None = None, secret: bool = True) -> dict:
    """btwallet's keyfile JSON for `key`; with `secret=False` only the public fields."""
    pub = "0x" + key.public.hex()
    data: dict = {"accountId": pub, "publicKey": pub}
    if secret:
        if key.scheme == SR25519:
            data["privateKey"] = "0x" + key.seed.hex()
            mini = mini_secret_from_mnemonic(phrase) if phrase else None
            data["secretSeed"] = None if mini is None else "0x" + mini.hex()
        else:
            data["privateKey"] = "0x" + (key.seed + key.public).hex()
            data["secretSeed"] = "0x" + key.seed.hex()
        data["secretPhrase"] = phrase
    data["ss58Address"] = key.ss58
    data["scheme"] = key.scheme
    return data


def _keypair_from_json(data: dict, where: Path) -> Keypair:
    try:
        scheme = data.get("scheme", ED25519)  # files from before sr25519 wallets are ed25519
        if scheme not in SCHEMES:
            raise ValueError(f"unknown scheme {scheme!r}")
        if scheme == SR25519:
            secret_hex = data.get("privateKey")
            if not isinstance(secret_hex, str) or not secret_hex.startswith("0x") or len(secret_hex) != 130:
                raise ValueError("no 64-byte privateKey")
            key = keypair_from_uri(secret_hex, SR25519)
            if bytes.fromhex(data.get("publicKey", "0x")[2:]) != key.public:
                raise ValueError("publicKey does not match the privateKey")
            return key
        seed_hex = data.get("secretSeed") or (data.get("privateKey") or "")[:66]
        if not isinstance(seed_hex, str) or not seed_hex.startswith("0x"):
            raise ValueError("no secretSeed")
        key = keypair_from_seed(bytes.fromhex(seed_hex[2:66]), ED25519)
        if data.get("publicKey") and bytes.fromhex(data["publicKey"][2:]) != key.public:
            raise ValueError("publicKey does not match the seed")
        return key
    except (ValueError, TypeError, AttributeError, InvalidKey) as exc:
        raise WalletError(f"keyfile {where} is damaged ({exc}); regenerate it from its mnemonic") from None


def _public_from_json(data: dict, where: Path) -> bytes:
    try:
        if isinstance(data.get("publicKey"), str) and data["publicKey"].startswith("0x"):
            pub = bytes.fromhex(data["publicKey"][2:])
            if len(pub) == 32:
                return pub
        return ss58_decode(data["ss58Address"])
    except (ValueError, TypeError, KeyError, InvalidKey):
        raise WalletError(f"public keyfile {where} is damaged; regenerate it (regen-coldkey / regen-hotkey)") from None


def _json_object(data: bytes, damaged: str) -> dict:
    """A keyfile's (decrypted) bytes as a JSON object; WalletError(`damaged`) otherwise."""
    try:
        obj = json.loads(data)
    except ValueError:
        raise WalletError(damaged) from None
    if not isinstance(obj, dict):
        raise WalletError(damaged)
    return obj


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise
    except (OSError, ValueError) as exc:
        raise WalletError(f"cannot read keyfile {path}: {exc}") from None
    if not isinstance(data, dict):
        raise WalletError(f"keyfile {path} is not a JSON object; regenerate it from its mnemonic")
    return data


def _mkdir(path: Path) -> None:
    """Create `path` (and parents) with mode 0700 for the folders created."""
    missing = []
    p = path
    while not p.exists():
        missing.append(p)
        p = p.parent
    for d in reversed(missing):
        d.mkdir(mode=0o700, exist_ok=True)
        os.chmod(d, 0o700)


def _write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` with mode 0600 through a temporary file in the same folder and a rename."""
    _mkdir(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def encrypt(plaintext: bytes, password: str, limits: tuple[int, int] | None = None) -> bytes:
    """The `$NACL` v1 envelope of `plaintext` under `password` (Argon2id + secretbox)."""
    ops, mem = limits or _kdf_limits()
    salt = secrets.token_bytes(SALT_LEN)
    key = _A.kdf(nacl.secret.SecretBox.KEY_SIZE, password.encode("utf-8"), salt, opslimit=ops, memlimit=mem)
    box = nacl.secret.SecretBox(key).encrypt(plaintext)  # nonce ++ MAC ++ ciphertext
    return _HEADER.pack(MAGIC, FORMAT_VERSION, ops, mem, salt) + bytes(box)


def is_encrypted(data: bytes) -> bool:
    return data.startswith(MAGIC)


def decrypt(data: bytes, password: str, what: str = "keyfile") -> bytes:
    """The plaintext of a `$NACL` v1 envelope; WalletError on a wrong password or a damaged file."""
    if len(data) < _HEADER.size + nacl.secret.SecretBox.NONCE_SIZE + nacl.secret.SecretBox.MACBYTES:
        raise WalletError(f"{what} is truncated or damaged; regenerate it from its mnemonic")
    magic, version, ops, mem, salt = _HEADER.unpack_from(data)
    if magic != MAGIC:
        raise WalletError(f"{what} is not an encrypted taochain keyfile")
    if version != FORMAT_VERSION:
        raise WalletError(
            f"{what} uses encryption format version {version}; this taochain reads version {FORMAT_VERSION}"
        )
    if not (1 <= ops <= _MAX_OPSLIMIT and 8192 <= mem <= _MAX_MEMLIMIT):
        raise WalletError(f"{what} has implausible key-derivation limits; it is damaged, regenerate it")
    key = _A.kdf(nacl.secret.SecretBox.KEY_SIZE, password.encode("utf-8"), salt, opslimit=ops, memlimit=mem)
    try:
        return nacl.secret.SecretBox(key).decrypt(data[_HEADER.size :])
    except nacl.exceptions.CryptoError:
        raise WalletError(f"wrong password for {what}") from None


def env_password(wallet_name: str) -> str | None:
    """`$TAOCHAIN_WALLET_PASSWORD`, else `$TAOCHAIN_PW_<WALLET_NAME_UPPER>` (non-alphanumerics as _), else None."""
    pw = os.environ.get(_PASSWORD_ENV)
    if pw is not None:
        return pw
    return os.environ.get(password_env_name(wallet_name))


def password_env_name(wallet_name: str) -> str:
    return "TAOCHAIN_PW_" + "".join(c if c.isalnum() else "_" for c in wallet_name.upper())


def _stdin_is_tty() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (ValueError, AttributeError):
        return False


# --- the wallet ------------------------------------------------------------------------------------


class Wallet:
    """A wallet folder `<path>/<name>` holding one coldkey and any number of named hotkeys."""

    def __init__(self, name: str = "default", path: str | Path | None = None) -> None:
        if not name or name in (".", "..") or "/" in name or "\\" in name or "\0" in name:
            raise WalletError(f"invalid wallet name {name!r}: use a plain name without '/'")
        self.name = name
        self.root = Path(path).expanduser() if path is not None else default_wallet_path()
        self.path = self.root / name

    def __repr__(self) -> str:
        return f"Wallet(name={self.name!r}, path={str(self.root)!r})"

    # files
    @property
    def coldkey_file(self) -> Path:
        return self.path / "coldkey"

    @property
    def coldkeypub_file(self) -> Path:
        return self.path / "coldkeypub.txt"

    def hotkey_file(self, name: str = "default") -> Path:
        _check_hotkey_name(name)
        return self.path / "hotkeys" / name

    def hotkeypub_file(self, name: str = "default") -> Path:
        _check_hotkey_name(name)
        return self.path / "hotkeys" / f"{name}pub.txt"

    def exists(self) -> bool:
        """True when the wallet has a coldkey (or at least its public file)."""
        return self.coldkeypub_file.is_file() or self.coldkey_file.is_file()

    # reading
    def coldkeypub(self) -> bytes:
        """The coldkey's public key, from `coldkeypub.txt` (no password needed)."""
        try:
            return _public_from_json(_read_json(self.coldkeypub_file), self.coldkeypub_file)
        except FileNotFoundError:
            raise WalletError(self._missing_coldkey()) from None

    def coldkey_ss58(self) -> str:
        return ss58_encode(self.coldkeypub())

    def coldkey(self, password: str | None = None) -> Keypair:
        """The decrypted coldkey. The password comes from `password`, `$TAOCHAIN_WALLET_PASSWORD`,
        `$TAOCHAIN_PW_<NAME>`, or a hidden prompt when stdin is a terminal."""
        try:
            data = self.coldkey_file.read_bytes()
        except FileNotFoundError:
            raise WalletError(self._missing_coldkey()) from None
        except OSError as exc:
            raise WalletError(f"cannot read {self.coldkey_file}: {exc}") from None
        what = f"coldkey of wallet {self.name}"
        if is_encrypted(data):
            pw = password if password is not None else env_password(self.name)
            if pw is None:
                if not _stdin_is_tty():
                    raise WalletError(
                        f"the {what} is encrypted and no password was given; set TAOCHAIN_WALLET_PASSWORD "
                        f"or {password_env_name(self.name)}, or run in a terminal to be prompted"
                    )
                import getpass  # noqa: PLC0415

                pw = getpass.getpass(f"Password for the coldkey of wallet {self.name}: ")
            data = decrypt(data, pw, what)
        key = _keypair_from_json(
            _json_object(data, f"the {what} is damaged; regenerate it with `taochain wallet regen-coldkey`"),
            self.coldkey_file,
        )
        if self.coldkeypub_file.is_file() and self.coldkeypub() != key.public:
            raise WalletError(
                f"coldkeypub.txt of wallet {self.name} does not match its coldkey; regenerate the wallet's coldkey"
            )
        return key

    def coldkey_encrypted(self) -> bool:
        try:
            with self.coldkey_file.open("rb") as f:
                return is_encrypted(f.read(len(MAGIC)))
        except OSError:
            return False

    def hotkey(self, name: str = "default") -> Keypair:
        """The hotkey `name` (a plain keyfile)."""
        path = self.hotkey_file(name)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise WalletError(self._missing_hotkey(name)) from None
        except OSError as exc:
            raise WalletError(f"cannot read {path}: {exc}") from None
        if is_encrypted(data):
            pw = env_password(self.name)
            if pw is None:
                raise WalletError(f"hotkey {name} of wallet {self.name} is encrypted; set TAOCHAIN_WALLET_PASSWORD")
            data = decrypt(data, pw, f"hotkey {name} of wallet {self.name}")
        damaged = f"hotkey file {path} is damaged; regenerate it with `taochain wallet regen-hotkey`"
        return _keypair_from_json(_json_object(data, damaged), path)

    def hotkey_public(self, name: str = "default") -> bytes:
        """The hotkey's public key, from `hotkeys/<name>pub.txt`, else from the keyfile."""
        pub = self.hotkeypub_file(name)
        if pub.is_file():
            return _public_from_json(_read_json(pub), pub)
        path = self.hotkey_file(name)
        if not path.is_file():
            raise WalletError(self._missing_hotkey(name))
        data = path.read_bytes()
        if is_encrypted(data):
            return self.hotkey(name).public
        try:
            obj = json.loads(data)
        except ValueError:
            raise WalletError(f"hotkey file {path} is damaged; regenerate it with `taochain wallet regen-hotkey`") from None
        return _public_from_json(obj, path)

    def hotkey_names(self) -> list[str]:
        """Sorted names of the wallet's hotkeys (keyfiles or public files)."""
        folder = self.path / "hotkeys"
        if not folder.is_dir():
            return []
        names = set()
        for p in folder.iterdir():
            if p.name.startswith(".") or not p.is_file():
                continue
            if p.name.endswith("pub.txt"):
                names.add(p.name[: -len("pub.txt")])
            else:
                names.add(p.name)
        return sorted(n for n in names if n)

    # writing
    def create_coldkey(
        self,
        n_words: int = 12,
        password: str | None = None,
        overwrite: bool = False,
        mnemonic: str | None = None,
        *,
        seed: str | bytes | None = None,
        use_password: bool = True,
        scheme: str = SR25519,
    ) -> tuple[Keypair, str | None]:
        """Create (or, from `mnemonic`/`seed`, regenerate) the coldkey (sr25519 unless `scheme`);
        returns (key, mnemonic or None).

        The coldkey is encrypted with `password` (or the environment's, see `coldkey`); with
        `use_password=False` it is stored in the clear (not recommended)."""
        if not overwrite and (self.coldkey_file.exists() or self.coldkeypub_file.exists()):
            raise WalletError(
                f"wallet {self.name} already has a coldkey at {self.path}; pass --overwrite to replace it"
            )
        key, phrase = _new_or_restored(mnemonic, seed, n_words, scheme)
        plain = json.dumps(keyfile_json(key, phrase)).encode()
        if use_password:
            pw = password if password is not None else env_password(self.name)
            if pw is None:
                raise WalletError(
                    f"a password is needed to encrypt the coldkey of wallet {self.name}; set "
                    f"TAOCHAIN_WALLET_PASSWORD or {password_env_name(self.name)}, or pass --no-use-password"
                )
            if not pw:
                raise WalletError("the coldkey password cannot be empty; use --no-use-password for no encryption")
            data = encrypt(plain, pw)
        else:
            data = plain
        _mkdir(self.path)
        _write_atomic(self.coldkey_file, data)
        _write_atomic(self.coldkeypub_file, json.dumps(keyfile_json(key, secret=False)).encode())
        return key, phrase

    def create_coldkeypub(self, ss58: str | None = None, public: bytes | None = None, overwrite: bool = False) -> bytes:
        """Write only `coldkeypub.txt` (a watch-only wallet), from an SS58 address or a public key."""
        if not overwrite and self.coldkeypub_file.exists():
            raise WalletError(f"wallet {self.name} already has a coldkeypub.txt; pass --overwrite to replace it")
        if public is None:
            try:
                public = ss58_decode(ss58 or "")
            except InvalidKey as exc:
                raise WalletError(f"invalid address: {exc}") from None
        pub = "0x" + public.hex()
        data = {"accountId": pub, "publicKey": pub, "ss58Address": ss58_encode(public)}
        _write_atomic(self.coldkeypub_file, json.dumps(data).encode())
        return public

    def create_hotkey(
        self,
        name: str = "default",
        n_words: int = 12,
        overwrite: bool = False,
        mnemonic: str | None = None,
        *,
        seed: str | bytes | None = None,
        scheme: str = SR25519,
    ) -> tuple[Keypair, str | None]:
        """Create (or regenerate) the plain hotkey `name` (sr25519 unless `scheme`); returns (key,
        mnemonic or None)."""
        path = self.hotkey_file(name)
        if not overwrite and (path.exists() or self.hotkeypub_file(name).exists()):
            raise WalletError(f"wallet {self.name} already has hotkey {name}; pass --overwrite to replace it")
        key, phrase = _new_or_restored(mnemonic, seed, n_words, scheme)
        _mkdir(path.parent)
        _write_atomic(path, json.dumps(keyfile_json(key, phrase)).encode())
        _write_atomic(self.hotkeypub_file(name), json.dumps(keyfile_json(key, secret=False)).encode())
        return key, phrase

    # messages
    def _missing_coldkey(self) -> str:
        return (
            f"wallet {self.name} has no coldkey at {self.path}; create it with "
            f"`taochain wallet create -w {self.name}` or pass --wallet-path"
        )

    def _missing_hotkey(self, name: str) -> str:
        return (
            f"wallet {self.name} has no hotkey {name}; create it with "
            f"`taochain wallet new-hotkey -w {self.name} -H {name}`"
        )


def _check_hotkey_name(name: str) -> None:
    if not name or name in (".", "..") or "/" in name or "\\" in name or "\0" in name or name.endswith("pub.txt"):
        raise WalletError(f"invalid hotkey name {name!r}: use a plain name without '/'")


def list_wallets(path: str | Path | None = None) -> list[Wallet]:
    """The wallets (folders with a coldkey, coldkeypub or hotkeys) under `path`, sorted by name."""
    root = Path(path).expanduser() if path is not None else default_wallet_path()
    if not root.is_dir():
        return []
    out = []
    for d in sorted(root.iterdir()):
        if not d.is_dir() or d.name.startswith("."):
            continue
        w = Wallet(d.name, root)
        if w.exists() or (d / "hotkeys").is_dir():
            out.append(w)
    return out


# --- resolving keys for commands -------------------------------------------------------------------


def uri_keypair(uri: str, scheme: str = SR25519) -> Keypair:
    """A key from `--uri`: a secret URI (`//Alice`, `phrase//x`, `0x<seed>`) or a dev name like
    `alice`; sr25519 unless `scheme`."""
    text = uri.strip()
    if text and not text.startswith("/") and not text.startswith("0x") and " " not in text:
        for dev in DEV_ACCOUNTS:
            if text.lower() == dev.lower():
                text = "//" + dev
                break
        else:
            if "/" not in text:
                raise WalletError(
                    f"--uri {uri!r} is not a dev account ({', '.join(a.lower() for a in DEV_ACCOUNTS)}) "
                    "or a secret URI like //Alice"
                )
    try:
        return keypair_from_uri(text, scheme)
    except InvalidKey as exc:
        raise WalletError(f"invalid --uri: {exc}") from None


def resolve_coldkey(
    wallet_name: str | None, wallet_path: str | None, uri: str | None, password: str | None = None
) -> Keypair:
    """The signing coldkey: `--uri` wins; else the wallet's (decrypted) coldkey."""
    if uri:
        return uri_keypair(uri)
    if wallet_name:
        return Wallet(wallet_name, wallet_path).coldkey(password)
    raise WalletError("no key given: pass --wallet-name W (a wallet from `taochain wallet create`) or --uri //Alice")


def resolve_hotkey(
    wallet_name: str | None, wallet_hotkey: str | None, wallet_path: str | None, uri: str | None
) -> Keypair:
    """The hotkey: `--uri` wins; else hotkey `wallet_hotkey` (default "default") of the wallet."""
    if uri:
        return uri_keypair(uri)
    if wallet_name:
        return Wallet(wallet_name, wallet_path).hotkey(wallet_hotkey or "default")
    raise WalletError(
        "no hotkey given: pass --wallet-name W --wallet-hotkey H (see `taochain wallet list`) or --uri //Alice"
    )


def resolve_hotkey_public(
    wallet_name: str | None, wallet_hotkey: str | None, wallet_path: str | None, uri: str | None
) -> bytes:
    """The hotkey's public key without touching secrets when a `pub.txt` is there."""
    if uri:
        return uri_keypair(uri).public
    if wallet_name:
        return Wallet(wallet_name, wallet_path).hotkey_public(wallet_hotkey or "default")
    raise WalletError(
        "no hotkey given: pass --wallet-name W --wallet-hotkey H (see `taochain wallet list`) or --uri //Alice"
    )
