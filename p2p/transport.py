"""The secure transport: asyncio TCP, a Noise XX handshake that binds each side's ed25519 identity
and checks the chain (genesis hash, protocol version), then encrypted, length-prefixed frames.

Handshake (p2p/noise.py, `Noise_XX_25519_ChaChaPoly_BLAKE2b`, prologue b"taochain/1"); each Noise
message travels as a 2-byte big-endian length and the message (at most 65535 bytes):

    -> e                                  (32 bytes, no payload)
    <- e, ee, s, es  + payload(responder)
    -> s, se         + payload(initiator)

A payload (encrypted by the handshake) is the canonical encoding of
`[ed25519 public key (32), signature (64), Hello]`, where the signature is the identity key's, over
b"taochain-noise-static-key:" + the sender's X25519 static public key (so the Noise static key is
bound to the identity). Each side checks the signature, the peer id it expected (initiator), then
the Hello: same genesis hash and protocol version. When the responder's Hello is refused, the
initiator still sends its last message, so that the responder learns why too; then both close.

Frames after the handshake: 4-byte big-endian length of the ciphertext, then the ciphertext
(ChaCha20-Poly1305 of the plaintext, 16-byte tag, no associated data); at most MAX_FRAME bytes of
ciphertext. Each direction has its own key and nonce counter (Noise Split).

Deadlines: the whole handshake, from the TCP connect (or accept) to the last message, must finish
within HANDSHAKE_TIMEOUT. After it, waiting for the next frame's length has no deadline (an idle
peer), but once a length has arrived its body must follow within `frame_timeout(n)`: FRAME_TIMEOUT
plus the time to receive n bytes at FRAME_MIN_RATE (5 s + 16 s for a 16 MiB frame). A frame that
stalls raises FrameTimeout and closes the connection, so a length prefix followed by silence
cannot hold a connection (and the peer slot behind it).

Errors: HandshakeError for any refusal or malformed input during the handshake, FrameError for a bad
frame afterwards (FrameTimeout, a FrameError, for a stalled one); a closed socket shows as asyncio.IncompleteReadError or ConnectionError. Every
failure closes the socket.
"""

from __future__ import annotations

import asyncio
import ipaddress
from typing import Annotated, Any

from p2p import noise
from runtime.support import codec
from runtime.support.codec import U8, U16, U32, U64, CodecError, Hash, TextT, wire
from runtime.support.keys import InvalidKey, Keypair, b58decode, b58encode, verify

PROTOCOL_VERSION = 1
MAX_FRAME = 16 * 1024 * 1024  # ciphertext bytes of one frame
HANDSHAKE_TIMEOUT = 5.0
FRAME_TIMEOUT = 5.0  # seconds a frame's body may take on top of its transfer time at FRAME_MIN_RATE
FRAME_MIN_RATE = 1024 * 1024  # bytes/s: the slowest link a full-size frame is waited for (8 Mbit/s)
PROLOGUE = b"taochain/1"
STATIC_KEY_DOMAIN = b"taochain-noise-static-key:"
MAX_HANDSHAKE_MESSAGE = 65535
MAX_NAME = 64

ROLE_FULL = 1
ROLE_AUTHORITY = 4

_PEER_ID_PREFIX = bytes([0x00, 0x24, 0x08, 0x01, 0x12, 0x20])  # identity multihash of PublicKey{Ed25519}
_FIRST_MESSAGE_LEN = noise.DHLEN  # -> e, with an empty payload


@wire
class Hello:
    """What a node tells a peer about itself in the handshake."""

    genesis_hash: Hash
    protocol_version: U32
    roles: U8  # ROLE_FULL (1) or ROLE_AUTHORITY (4)
    best_number: U64
    best_hash: Hash
    finalized_number: U64
    finalized_hash: Hash
    listen_port: U16
    name: Annotated[str, TextT(MAX_NAME)]


class HandshakeError(Exception):
    """The handshake failed or the peer was refused; the message says why."""


class FrameError(Exception):
    """A bad frame after the handshake: oversize, malformed length or failed decryption."""


class FrameTimeout(FrameError):
    """A frame's length arrived but its body did not follow within `frame_timeout`."""


def frame_timeout(n: int) -> float:
    """Seconds the body of an n-byte frame may take once its length has been read."""
    return FRAME_TIMEOUT + n / FRAME_MIN_RATE


# --------------------------------------------------------------------------- peer ids and addresses


def peer_id_of(public_key: bytes) -> str:
    """The libp2p peer id of an ed25519 public key: base58btc of the identity multihash of the
    protobuf-encoded key ("12D3KooW...")."""
    if type(public_key) is not bytes or len(public_key) != 32:
        raise ValueError("an ed25519 public key is 32 bytes")
    return b58encode(_PEER_ID_PREFIX + public_key)


def public_key_of_peer_id(peer_id: str) -> bytes:
    """The ed25519 public key inside a peer id; ValueError when it is not one."""
    try:
        raw = b58decode(peer_id)
    except InvalidKey:
        raise ValueError(f"invalid peer id {peer_id!r}: not base58") from None
    except Exception:
        raise ValueError(f"invalid peer id {peer_id!r}") from None
    if len(raw) != len(_PEER_ID_PREFIX) + 32 or not raw.startswith(_PEER_ID_PREFIX):
        raise ValueError(f"invalid peer id {peer_id!r}: not an ed25519 identity multihash")
    return raw[len(_PEER_ID_PREFIX) :]


def parse_multiaddr(addr: str) -> tuple[str, int, str | None]:
    """(host, port, peer id or None) of "/ip4/1.2.3.4/tcp/30333[/p2p/12D3KooW...]" (also /ip6, /dns,
    /dns4, /dns6); ValueError naming the problem otherwise."""
    if not isinstance(addr, str):
        raise ValueError("a multiaddr is a string")
    parts = addr.split("/")
    if len(parts) < 5 or parts[0] != "":
        raise ValueError(f"invalid multiaddr {addr!r}: expected /ip4/<address>/tcp/<port>[/p2p/<peer id>]")
    proto, host, tcp, port_text, rest = parts[1], parts[2], parts[3], parts[4], parts[5:]
    if proto == "ip4":
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            raise ValueError(f"invalid multiaddr {addr!r}: {host!r} is not an IPv4 address") from None
    elif proto == "ip6":
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise ValueError(f"invalid multiaddr {addr!r}: {host!r} is not an IPv6 address") from None
    elif proto in ("dns", "dns4", "dns6"):
        if not host or len(host) > 253 or any(c.isspace() for c in host):
            raise ValueError(f"invalid multiaddr {addr!r}: bad host name {host!r}")
    else:
        raise ValueError(f"invalid multiaddr {addr!r}: unsupported protocol {proto!r} (use ip4, ip6 or dns)")
    if tcp != "tcp":
        raise ValueError(f"invalid multiaddr {addr!r}: expected /tcp/<port> after the host")
    if not port_text.isascii() or not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise ValueError(f"invalid multiaddr {addr!r}: port {port_text!r} is not in 1..65535")
    peer_id: str | None = None
    if rest:
        if len(rest) != 2 or rest[0] != "p2p" or not rest[1]:
            raise ValueError(f"invalid multiaddr {addr!r}: only /p2p/<peer id> may follow the port")
        public_key_of_peer_id(rest[1])  # raises ValueError with the reason
        peer_id = rest[1]
    return host, int(port_text), peer_id


def multiaddr(host: str, port: int, peer_id: str | None = None) -> str:
    """The multiaddr of a host (IPv4, IPv6 or DNS name), TCP port and optional peer id."""
    try:
        proto = "ip4" if ipaddress.ip_address(host).version == 4 else "ip6"
    except ValueError:
        proto = "dns"
    out = f"/{proto}/{host}/tcp/{int(port)}"
    return out + f"/p2p/{peer_id}" if peer_id else out


# --------------------------------------------------------------------------- the secure connection


class SecureConnection:
    """An authenticated, encrypted connection to one peer (made by `connect` or `accept`)."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        send_cs: noise.CipherState,
        recv_cs: noise.CipherState,
        remote_key: bytes,
        hello: Hello,
        remote_addr: tuple[str, int],
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._send_cs = send_cs
        self._recv_cs = recv_cs
        self._send_lock = asyncio.Lock()
        self._recv_lock = asyncio.Lock()
        self._closed = False
        self.remote_key = remote_key
        self.peer_id = peer_id_of(remote_key)
        self.hello = hello
        self.remote_addr = remote_addr
        self.bytes_sent = 0  # on the wire: length prefixes and ciphertexts
        self.bytes_received = 0
        self.frames_sent = 0
        self.frames_received = 0

    def __repr__(self) -> str:
        return f"SecureConnection({self.peer_id}, {self.remote_addr[0]}:{self.remote_addr[1]})"

    @property
    def closed(self) -> bool:
        return self._closed

    async def send(self, data: bytes) -> None:
        """Send one frame; ValueError when `data` is over MAX_FRAME - 16 bytes, ConnectionError
        when the connection is closed."""
        if type(data) is not bytes:
            data = bytes(data)
        if len(data) > MAX_FRAME - noise.TAGLEN:
            raise ValueError(f"a frame carries at most {MAX_FRAME - noise.TAGLEN} bytes, got {len(data)}")
        async with self._send_lock:
            if self._closed or self._writer.is_closing():
                raise ConnectionResetError("connection closed")
            try:
                ct = self._send_cs.encrypt_with_ad(b"", data)
            except noise.NoiseError as exc:  # nonce exhausted (after 2^64-1 frames)
                self.close()
                raise ConnectionResetError(str(exc)) from None
            self._writer.write(len(ct).to_bytes(4, "big"))
            self._writer.write(ct)
            self.bytes_sent += 4 + len(ct)
            self.frames_sent += 1
            try:
                await self._writer.drain()
            except BaseException:
                self.close()
                raise

    async def recv(self) -> bytes:
        """The plaintext of the next frame. FrameError (and the connection closed) on a length over
        MAX_FRAME, checked before the body is read, or a failed decryption; FrameTimeout when the
        body does not arrive within `frame_timeout` of its length;
        asyncio.IncompleteReadError or ConnectionError when the peer has gone."""
        async with self._recv_lock:
            mid_frame = False
            try:
                head = await self._reader.readexactly(4)
                mid_frame = True
                n = int.from_bytes(head, "big")
                if n > MAX_FRAME:
                    raise FrameError(f"frame of {n} bytes exceeds the {MAX_FRAME}-byte limit")
                if n < noise.TAGLEN:
                    raise FrameError(f"malformed frame length {n}")
                limit = frame_timeout(n)
                try:
                    async with asyncio.timeout(limit):
                        body = await self._reader.readexactly(n)
                except TimeoutError:
                    msg = f"frame of {n} bytes stalled: its body did not arrive within {limit:.1f} s"
                    raise FrameTimeout(msg) from None
                try:
                    data = self._recv_cs.decrypt_with_ad(b"", body)
                except noise.NoiseError as exc:
                    raise FrameError(f"frame decryption failed ({exc})") from None
            except (FrameError, asyncio.IncompleteReadError, ConnectionError):
                self.close()
                raise
            except BaseException:  # cancelled half way through a frame: the stream is out of step
                if mid_frame:
                    self.close()
                raise
            self.bytes_received += 4 + n
            self.frames_received += 1
            return data

    def close(self) -> None:
        """Close the socket (idempotent)."""
        if not self._closed:
            self._closed = True
            self._writer.close()

    async def wait_closed(self) -> None:
        self.close()
        try:
            await self._writer.wait_closed()
        except (ConnectionError, OSError):
            pass


# --------------------------------------------------------------------------- the handshake


def _identity_payload(identity: Keypair, static_public: bytes, hello: Hello) -> bytes:
    """The handshake payload: [ed25519 key, its signature of the static key, Hello]."""
    signature = identity.sign(STATIC_KEY_DOMAIN + static_public)
    return codec.encode([identity.public, signature, codec.to_wire(hello)])


def _open_payload(payload: bytes, remote_static: bytes | None) -> tuple[bytes, Hello]:
    """(the remote's ed25519 key, its Hello) from a handshake payload; HandshakeError otherwise."""
    try:
        w = codec.decode(payload, noise.MAX_MESSAGE)
        if type(w) is not list or len(w) != 3:
            raise CodecError("expected [key, signature, hello]")
        key, signature, hello_w = w
        if type(key) is not bytes or len(key) != 32 or type(signature) is not bytes or len(signature) != 64:
            raise CodecError("bad key or signature field")
        hello = codec.from_wire(Hello, hello_w)
    except (CodecError, ValueError, TypeError) as exc:
        raise HandshakeError(f"malformed handshake: {exc}") from None
    if remote_static is None or not verify(key, STATIC_KEY_DOMAIN + remote_static, signature):
        raise HandshakeError("bad identity signature")
    return key, hello


def _check_local_hello(hello: Hello) -> None:
    """Our own Hello must encode (a programming error otherwise: ValueError before any I/O)."""
    if not isinstance(hello, Hello):
        raise TypeError(f"expected a Hello, got {type(hello).__name__}")
    codec.to_wire(hello)  # CodecError (a ValueError) names the bad field


def _check_hello(remote: Hello, local: Hello) -> None:
    if remote.genesis_hash != local.genesis_hash:
        raise HandshakeError(f"other chain (genesis 0x{remote.genesis_hash.hex()})")
    if remote.protocol_version != local.protocol_version:
        raise HandshakeError(f"protocol version {remote.protocol_version} not supported")


async def _read_message(reader: asyncio.StreamReader, exact: int | None = None) -> bytes:
    head = await reader.readexactly(2)
    n = int.from_bytes(head, "big")
    if exact is not None and n != exact:
        raise HandshakeError(f"malformed handshake: first message of {n} bytes, expected {exact}")
    return await reader.readexactly(n)


def _write_message(writer: asyncio.StreamWriter, message: bytes) -> None:
    writer.write(len(message).to_bytes(2, "big") + message)


def _remote_addr(writer: asyncio.StreamWriter, fallback: tuple[str, int]) -> tuple[str, int]:
    peer: Any = writer.get_extra_info("peername")
    if isinstance(peer, tuple) and len(peer) >= 2:
        return str(peer[0]), int(peer[1])
    return fallback


async def _initiator(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    identity: Keypair,
    hello: Hello,
    expect_peer_id: str | None,
) -> tuple[noise.HandshakeState, bytes, Hello]:
    s = noise.generate_keypair()
    hs = noise.HandshakeState(True, s, PROLOGUE)
    _write_message(writer, hs.write_message(b""))
    await writer.drain()
    payload = hs.read_message(await _read_message(reader))
    key, remote_hello = _open_payload(payload, hs.rs)
    if expect_peer_id is not None and peer_id_of(key) != expect_peer_id:
        raise HandshakeError(f"unexpected peer id {peer_id_of(key)} (expected {expect_peer_id})")
    _write_message(writer, hs.write_message(_identity_payload(identity, s[1], hello)))
    await writer.drain()
    _check_hello(remote_hello, hello)  # after our last message: the responder learns why too
    return hs, key, remote_hello


async def _responder(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, identity: Keypair, hello: Hello
) -> tuple[noise.HandshakeState, bytes, Hello]:
    s = noise.generate_keypair()
    hs = noise.HandshakeState(False, s, PROLOGUE)
    hs.read_message(await _read_message(reader, exact=_FIRST_MESSAGE_LEN))
    _write_message(writer, hs.write_message(_identity_payload(identity, s[1], hello)))
    await writer.drain()
    payload = hs.read_message(await _read_message(reader))
    key, remote_hello = _open_payload(payload, hs.rs)
    _check_hello(remote_hello, hello)
    return hs, key, remote_hello


async def _handshake(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    identity: Keypair,
    hello: Hello,
    deadline: float,
    initiator: bool,
    expect_peer_id: str | None,
    fallback_addr: tuple[str, int],
) -> SecureConnection:
    try:
        async with asyncio.timeout_at(deadline):
            if initiator:
                hs, key, remote_hello = await _initiator(reader, writer, identity, hello, expect_peer_id)
            else:
                hs, key, remote_hello = await _responder(reader, writer, identity, hello)
    except TimeoutError:
        writer.close()
        raise HandshakeError("timed out") from None
    except noise.NoiseError as exc:
        writer.close()
        raise HandshakeError(f"malformed handshake: {exc}") from None
    except (HandshakeError, asyncio.IncompleteReadError, ConnectionError):
        writer.close()
        raise
    except OSError as exc:  # a socket error that is not a ConnectionError
        writer.close()
        raise ConnectionResetError(f"socket error during handshake: {exc}") from None
    except BaseException:  # cancellation, or a bug: never leave the socket open
        writer.close()
        raise
    send_cs, recv_cs = hs.split()
    return SecureConnection(
        reader, writer, send_cs, recv_cs, key, remote_hello, _remote_addr(writer, fallback_addr)
    )


async def connect(
    host: str,
    port: int,
    identity: Keypair,
    hello: Hello,
    timeout: float = HANDSHAKE_TIMEOUT,
    expect_peer_id: str | None = None,
    local_addr: tuple[str, int] | None = None,
) -> SecureConnection:
    """Dial host:port (from `local_addr` when given) and run the handshake as the initiator.
    HandshakeError on a refusal (with the reason) or a timeout (the TCP connect counts);
    OSError/ConnectionError when the dial fails."""
    _check_local_hello(hello)
    deadline = asyncio.get_running_loop().time() + timeout
    try:
        async with asyncio.timeout_at(deadline):
            reader, writer = await asyncio.open_connection(host, port, local_addr=local_addr)
    except TimeoutError:
        raise HandshakeError("timed out") from None
    return await _handshake(reader, writer, identity, hello, deadline, True, expect_peer_id, (host, port))


async def accept(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    identity: Keypair,
    hello: Hello,
    timeout: float = HANDSHAKE_TIMEOUT,
) -> SecureConnection:
    """Run the handshake as the responder on an inbound connection (inside an asyncio.start_server
    callback). HandshakeError on a refusal or a timeout; the socket is closed on any failure."""
    try:
        _check_local_hello(hello)
    except BaseException:
        writer.close()
        raise
    deadline = asyncio.get_running_loop().time() + timeout
    return await _handshake(reader, writer, identity, hello, deadline, False, None, ("?", 0))
