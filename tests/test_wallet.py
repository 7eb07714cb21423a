"""Wallets on disk (taochain.wallet) and the `taochain wallet` commands."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from devnode import cli_runner, dev_node

from runtime.support.keys import keypair_from_mnemonic, keypair_from_uri, mini_secret_from_mnemonic
from taochain import wallet as wmod
from taochain.cli import app
from taochain.wallet import (
    KDF_LIMITS,
    MAGIC,
    Wallet,
    WalletError,
    list_wallets,
    resolve_coldkey,
    resolve_hotkey,
    resolve_hotkey_public,
)

PHRASE = "legal winner thank year wave sausage worth useful legal winner thank yellow"
run = cli_runner(app)


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No password or wallet path from the developer's environment, and never a prompt."""
    for var in ("TAOCHAIN_WALLET_PASSWORD", "TAOCHAIN_WALLET_PATH", "TAOCHAIN_WALLET_KDF", "TAOCHAIN_PW_W",
                "TAOCHAIN_PW_MY_WALLET"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(wmod, "_stdin_is_tty", lambda: False)


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


# ------------------------------------------------------------------------------------- library


def test_coldkey_encryption_round_trip(tmp_path: Path) -> None:
    w = Wallet("w", tmp_path)
    assert not w.exists()
    key, phrase = w.create_coldkey(password="correct horse")
    assert phrase is not None and len(phrase.split()) == 12
    assert w.exists() and w.coldkey_encrypted()
    raw = w.coldkey_file.read_bytes()
    assert raw.startswith(MAGIC + bytes([1]))
    # the interactive Argon2id limits are stored in the header
    ops, mem = KDF_LIMITS["interactive"]
    assert int.from_bytes(raw[6:14], "little") == ops and int.from_bytes(raw[14:22], "little") == mem
    for secret in (key.seed.hex(), phrase.split()[0] + " " + phrase.split()[1]):
        assert secret.encode() not in raw
    assert w.coldkey("correct horse") == key
    assert w.coldkeypub() == key.public
    assert key == keypair_from_mnemonic(phrase)


def test_wrong_password_refused(tmp_path: Path) -> None:
    w = Wallet("w", tmp_path)
    w.create_coldkey(password="right")
    with pytest.raises(WalletError, match="^wrong password for coldkey of wallet w$"):
        w.coldkey("wrong")


def test_tampered_and_truncated_files_refused(tmp_path: Path) -> None:
    w = Wallet("w", tmp_path)
    w.create_coldkey(password="pw")
    good = w.coldkey_file.read_bytes()
    flipped = bytearray(good)
    flipped[-1] ^= 1  # the ciphertext
    w.coldkey_file.write_bytes(bytes(flipped))
    with pytest.raises(WalletError, match="wrong password"):  # secretbox cannot tell a bad MAC from a bad key
        w.coldkey("pw")
    salted = bytearray(good)
    salted[30] ^= 1  # the salt
    w.coldkey_file.write_bytes(bytes(salted))
    with pytest.raises(WalletError, match="wrong password"):
        w.coldkey("pw")
    huge = bytearray(good)
    huge[14:22] = (1 << 40).to_bytes(8, "little")  # a memlimit nobody can afford
    w.coldkey_file.write_bytes(bytes(huge))
    with pytest.raises(WalletError, match="damaged"):
        w.coldkey("pw")
    w.coldkey_file.write_bytes(good[:40])
    with pytest.raises(WalletError, match="truncated"):
        w.coldkey("pw")
    w.coldkey_file.write_bytes(good)
    assert w.coldkey("pw").public == w.coldkeypub()
    # a coldkeypub.txt that belongs to another key is caught too
    w.coldkeypub_file.write_text(json.dumps({"publicKey": "0x" + "11" * 32}))
    with pytest.raises(WalletError, match="does not match"):
        w.coldkey("pw")


def test_permissions(tmp_path: Path) -> None:
    root = tmp_path / "new" / "wallets"
    w = Wallet("w", root)
    w.create_coldkey(password="pw")
    w.create_hotkey("h")
    for d in (root, root.parent, w.path, w.path / "hotkeys"):
        assert _mode(d) == 0o700, d
    for f in (w.coldkey_file, w.coldkeypub_file, w.hotkey_file("h"), w.hotkeypub_file("h")):
        assert _mode(f) == 0o600, f
    assert not [p for p in w.path.rglob("*.tmp")]  # atomic writes leave no temporary files


def test_password_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    w = Wallet("my-wallet", tmp_path)
    with pytest.raises(WalletError, match="TAOCHAIN_WALLET_PASSWORD"):
        w.create_coldkey()
    monkeypatch.setenv("TAOCHAIN_PW_MY_WALLET", "per-wallet")
    key, _ = w.create_coldkey()
    monkeypatch.delenv("TAOCHAIN_PW_MY_WALLET")
    with pytest.raises(WalletError, match="no password was given.*TAOCHAIN_PW_MY_WALLET"):
        w.coldkey()
    monkeypatch.setenv("TAOCHAIN_WALLET_PASSWORD", "per-wallet")
    assert w.coldkey() == key
    assert resolve_coldkey("my-wallet", str(tmp_path), None) == key
    monkeypatch.setenv("TAOCHAIN_WALLET_PASSWORD", "other")
    with pytest.raises(WalletError, match="wrong password for coldkey of wallet my-wallet"):
        w.coldkey()
    assert w.coldkey("per-wallet") == key  # an argument wins over the environment


def test_regen_from_mnemonic_and_seed(tmp_path: Path) -> None:
    a = Wallet("a", tmp_path)
    cold, phrase = a.create_coldkey(password="pw", n_words=24)
    hot, hphrase = a.create_hotkey("h", n_words=15)
    assert len(phrase.split()) == 24 and len(hphrase.split()) == 15
    b = Wallet("b", tmp_path)
    assert b.create_coldkey(password="other", mnemonic="  " + phrase.replace(" ", "  "))[0] == cold
    assert b.create_hotkey("h", mnemonic=hphrase)[0] == hot
    assert b.coldkey("other") == cold and b.hotkey("h") == hot
    with pytest.raises(WalletError, match="already has a coldkey.*--overwrite"):
        b.create_coldkey(password="pw", mnemonic=phrase)
    c = Wallet("c", tmp_path)
    assert c.create_coldkey(password="pw", seed="0x" + cold.seed.hex())[0] == cold
    assert c.create_hotkey(seed=hot.seed)[0] == hot
    with pytest.raises(WalletError, match="invalid mnemonic"):
        Wallet("d", tmp_path).create_coldkey(password="pw", mnemonic=PHRASE.replace("yellow", "wave"))
    assert Wallet("e", tmp_path).create_coldkey(password="pw", mnemonic=PHRASE)[0] == keypair_from_mnemonic(PHRASE)


def test_keyfile_and_pub_files(tmp_path: Path) -> None:
    w = Wallet("w", tmp_path)
    w.create_coldkey(password="pw", mnemonic=PHRASE)
    hot, hphrase = w.create_hotkey("h")
    data = json.loads(w.hotkey_file("h").read_text())
    pub = json.loads(w.hotkeypub_file("h").read_text())
    assert set(data) == {"accountId", "publicKey", "privateKey", "secretPhrase", "secretSeed", "ss58Address", "scheme"}
    # new keys are sr25519: privateKey is schnorrkel's 64-byte secret, secretSeed the phrase's mini secret
    assert hot.scheme == "sr25519" and data["scheme"] == "sr25519"
    assert data["secretPhrase"] == hphrase and data["secretSeed"] == "0x" + mini_secret_from_mnemonic(hphrase).hex()
    assert data["privateKey"] == "0x" + hot.seed.hex()
    assert hot == keypair_from_mnemonic(hphrase) and w.hotkey("h") == hot
    assert pub == {k: data[k] for k in ("accountId", "publicKey", "ss58Address", "scheme")}
    assert pub["ss58Address"] == hot.ss58 and pub["publicKey"] == "0x" + hot.public.hex()
    cpub = json.loads(w.coldkeypub_file.read_text())
    assert cpub["ss58Address"] == keypair_from_mnemonic(PHRASE).ss58 and "secretSeed" not in cpub
    assert w.hotkey_names() == ["h"]
    assert [x.name for x in list_wallets(tmp_path)] == ["w"]
    # an ed25519 key on request; a file without a scheme (older taochain) reads as ed25519
    ed, _ = w.create_hotkey("e", mnemonic=PHRASE, scheme="ed25519")
    assert ed == keypair_from_mnemonic(PHRASE, scheme="ed25519") and w.hotkey("e") == ed
    old = json.loads(w.hotkey_file("e").read_text())
    assert old.pop("scheme") == "ed25519" and old["privateKey"] == "0x" + (ed.seed + ed.public).hex()
    w.hotkey_file("e").write_text(json.dumps(old))
    assert w.hotkey("e") == ed


def test_resolve_keys(tmp_path: Path) -> None:
    alice = keypair_from_uri("//Alice")
    assert resolve_coldkey(None, None, "alice") == alice
    assert resolve_coldkey("ignored", None, "//Alice") == alice
    assert resolve_hotkey(None, None, None, "//Alice//h") == keypair_from_uri("//Alice//h")
    assert resolve_hotkey_public(None, None, None, "Bob") == keypair_from_uri("//Bob").public
    with pytest.raises(WalletError, match="--wallet-name.*--uri"):
        resolve_coldkey(None, None, None)
    with pytest.raises(WalletError, match="--uri"):
        resolve_coldkey(None, None, "mallory")
    w = Wallet("w", tmp_path)
    hot, _ = w.create_hotkey("h")
    assert resolve_hotkey("w", "h", str(tmp_path), None) == hot
    w.hotkey_file("h").unlink()  # only the public file left: the address still resolves
    assert resolve_hotkey_public("w", "h", str(tmp_path), None) == hot.public
    with pytest.raises(WalletError, match="no hotkey h.*new-hotkey"):
        resolve_hotkey("w", "h", str(tmp_path), None)
    with pytest.raises(WalletError, match="no coldkey.*wallet create"):
        resolve_coldkey("w", str(tmp_path), None, "pw")
    with pytest.raises(WalletError, match="invalid wallet name"):
        Wallet("../x", tmp_path)


# ------------------------------------------------------------------------------------- CLI


def _run_text(*args: str, code: int) -> str:
    """The output of a command expected to exit with `code`: one line, no traceback."""
    from typer.testing import CliRunner

    r = CliRunner().invoke(app, list(args))
    assert r.exit_code == code, r.output
    assert "Traceback" not in r.output
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    return r.output


def test_cli_create_list_new_hotkey_regen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    P = ("--wallet-path", str(tmp_path))
    out = _run_text("wallet", "create", "-w", "w", "-H", "h", *P, "--json", code=1)
    assert "error:" in out and "TAOCHAIN_WALLET_PASSWORD" in out and not (tmp_path / "w" / "coldkey").exists()
    monkeypatch.setenv("TAOCHAIN_WALLET_PASSWORD", "pw")
    r = run("wallet", "create", "-w", "w", "-H", "h", *P, "--json")
    assert r["success"] and r["coldkey"]["encrypted"] and r["coldkey"]["mnemonic"]
    cold = keypair_from_mnemonic(r["coldkey"]["mnemonic"])
    hot = keypair_from_mnemonic(r["hotkey"]["mnemonic"])
    assert r["coldkey"]["ss58"] == cold.ss58 and r["hotkey"]["ss58"] == hot.ss58 and r["hotkey"]["hotkey"] == "h"
    w = Wallet("w", tmp_path)
    assert w.coldkey("pw") == cold and w.hotkey("h") == hot
    # again: refused, nothing replaced
    assert "--overwrite" in _run_text("wallet", "create", "-w", "w", "-H", "h", *P, code=1)
    assert w.coldkey("pw") == cold
    assert "--n-words" in _run_text("wallet", "create", "-w", "x", *P, "--n-words", "13", code=2)

    r = run("wallet", "new-hotkey", "-w", "w", "-H", "h2", "--n-words", "24", *P, "--json")
    assert len(r["hotkey"]["mnemonic"].split()) == 24 and r["hotkey"]["ss58"] == w.hotkey("h2").ss58
    r = run("wallet", "create", "-w", "dev", *P, "--uri", "alice", "--no-use-password", "--json")
    assert r["coldkey"]["ss58"] == keypair_from_uri("//Alice").ss58 and r["coldkey"]["mnemonic"] is None
    assert not r["coldkey"]["encrypted"]

    listed = run("wallet", "list", *P, "--json")
    assert [x["name"] for x in listed["wallets"]] == ["dev", "w"]
    ww = listed["wallets"][1]
    assert ww["coldkey"] == cold.ss58 and ww["encrypted"]
    assert ww["hotkeys"] == [{"name": "h", "ss58": hot.ss58}, {"name": "h2", "ss58": w.hotkey("h2").ss58}]
    tree = run("wallet", "list", *P)
    assert cold.ss58 in tree and hot.ss58 in tree

    # regen into a new wallet with another password: the same key; over a different key only with --overwrite
    monkeypatch.setenv("TAOCHAIN_WALLET_PASSWORD", "pw2")
    r = run("wallet", "regen-coldkey", "-w", "w2", *P, "--mnemonic", " ".join(_phrase_of(tmp_path)), "--json")
    assert r["coldkey"]["ss58"] == cold.ss58 and Wallet("w2", tmp_path).coldkey("pw2") == cold
    assert keypair_from_mnemonic(PHRASE).ss58 != cold.ss58
    out = _run_text("wallet", "regen-coldkey", "-w", "w2", *P, "--mnemonic", PHRASE, code=1)
    assert "--overwrite" in out
    r = run("wallet", "regen-coldkey", "-w", "w2", *P, "--mnemonic", PHRASE, "--overwrite", "--json")
    assert r["coldkey"]["ss58"] == keypair_from_mnemonic(PHRASE).ss58
    r = run("wallet", "regen-coldkey", "-w", "w3", *P, "--seed", "0x" + cold.seed.hex(), "--json")
    assert r["coldkey"]["ss58"] == cold.ss58
    r = run("wallet", "regen-hotkey", "-w", "w3", "-H", "hh", *P, "--mnemonic", PHRASE, "--json")
    assert r["hotkey"]["ss58"] == keypair_from_mnemonic(PHRASE).ss58
    assert "bad checksum" in _run_text("wallet", "regen-coldkey", "-w", "w4", *P, "--mnemonic",
                                       PHRASE.replace("yellow", "wave"), code=1)
    assert "--mnemonic" in _run_text("wallet", "regen-coldkey", "-w", "w4", *P, code=2)
    r = run("wallet", "regen-coldkeypub", "-w", "watch", *P, "--ss58", cold.ss58, "--json")
    assert r["ss58"] == cold.ss58 and Wallet("watch", tmp_path).coldkeypub() == cold.public


def _phrase_of(root: Path) -> list[str]:
    """The coldkey phrase of wallet `w` (read back from the decrypted keyfile)."""
    w = Wallet("w", root)
    plain = wmod.decrypt(w.coldkey_file.read_bytes(), "pw")
    return json.loads(plain)["secretPhrase"].split()


def test_cli_balance_and_overview_against_a_dev_node(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    P = ("--wallet-path", str(tmp_path))
    monkeypatch.setenv("TAOCHAIN_WALLET_PASSWORD", "pw")
    run("wallet", "create", "-w", "fresh", *P, "--json")
    fresh = Wallet("fresh", tmp_path).coldkeypub()
    bob, bob_hot = keypair_from_uri("//Bob"), keypair_from_uri("//Bob//v")
    run("wallet", "regen-coldkey", "-w", "bob", *P, "--seed", "0x" + bob.seed.hex(), "--json")
    run("wallet", "regen-hotkey", "-w", "bob", "-H", "v", *P, "--seed", "0x" + bob_hot.seed.hex(), "--json")
    (tmp_path / "node").mkdir()
    with dev_node(tmp_path / "node") as (url, _proc):
        N = ("--network", url)
        r = run("wallet", "balance", "--uri", "//Alice", *N, "--json")
        assert r["balances"][0]["ss58"] == keypair_from_uri("//Alice").ss58 and r["balances"][0]["free"] > 0
        r = run("wallet", "balance", "-w", "fresh", *P, *N, "--json")
        assert r["balances"] == [{"name": "fresh", "ss58": wmod.ss58_encode(fresh), "free": 0, "reserved": 0,
                                  "frozen": 0, "total": 0}]
        run("wallet", "create", "-w", "alice", *P, "--uri", "alice", "--json")
        r = run("wallet", "balance", "--all", *P, *N, "--json")
        assert [b["name"] for b in r["balances"]] == ["alice", "bob", "fresh"] and r["total"]["free"] > 0
        assert "Wallet balances" in run("wallet", "balance", "--uri", "alice", *N)
        r = run("wallet", "overview", "--uri", "//Alice", *N, "--json")
        assert r["coldkey"] == keypair_from_uri("//Alice").ss58 and r["neurons"] == []
        r = run("wallet", "overview", "-w", "fresh", *P, *N, "--json")
        assert r["free"] == 0 and r["neurons"] == []
        # Bob's wallet hotkey registered on a subnet shows up in his overview
        U = ("--url", url)
        assert run("subnet", "create", "--uri", "//Alice", "--hotkey-uri", "//Alice//o", "--no-prompt", *U,
                   "--json")["success"]
        assert run("subnet", "start", "1", "--uri", "//Alice", *U, "--json")["success"]
        assert run("subnet", "register", "1", "--uri", "//Bob", "--hotkey-uri", "//Bob//v", "--no-prompt", *U,
                   "--json")["success"]
        r = run("wallet", "overview", "-w", "bob", *P, *N, "--json")
        assert [(n["netuid"], n["uid"], n["hotkey_name"], n["hotkey"]) for n in r["neurons"]] == [
            (1, 1, "v", bob_hot.ss58)
        ]
        text = run("wallet", "overview", "-w", "bob", *P, *N)
        assert "Neurons of wallet bob" in text
    out = _run_text("wallet", "balance", "--uri", "//Alice", "--network", "mainnet", code=2)
    assert "--network" in out


def test_kdf_limits_are_read_from_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    ops, mem = wmod._A.OPSLIMIT_MIN, wmod._A.MEMLIMIT_MIN
    box = wmod.encrypt(b"secret", "pw", (ops, mem))
    assert int.from_bytes(box[6:14], "little") == ops and int.from_bytes(box[14:22], "little") == mem
    monkeypatch.setenv("TAOCHAIN_WALLET_KDF", "sensitive")  # what new files would use; not what this one needs
    assert wmod.decrypt(box, "pw") == b"secret"
    monkeypatch.setenv("TAOCHAIN_WALLET_KDF", "bogus")
    with pytest.raises(WalletError, match="TAOCHAIN_WALLET_KDF"):
        wmod.encrypt(b"secret", "pw")
    with pytest.raises(WalletError, match="format version 2"):
        wmod.decrypt(box[:5] + b"\x02" + box[6:], "pw")
