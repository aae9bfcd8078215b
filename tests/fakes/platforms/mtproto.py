"""A local fake Telegram server speaking MTProto 2.0 over the TCP "full" transport.

Built on Telethon's own TL classes and crypto so the bytes on the wire are exactly what the
real servers send: the client goes through the genuine key exchange (against a test RSA key
the tests register with ``telethon.crypto.rsa.add_key``), then every request is decrypted,
parsed with ``BinaryReader.tgread_object`` and answered with real TL objects, encrypted the
server's way (x = 8 in the key derivation).

It implements what a user-account connector needs: help.getConfig (pointing every DC at this
server), auth.sendCode / auth.signIn (a wrong code gets PHONE_CODE_INVALID; an account with a
password gets SESSION_PASSWORD_NEEDED, then account.getPassword / auth.checkPassword verify the
client's SRP proof), users.getUsers, updates.getState / getDifference, messages.sendMessage
(recorded; FLOOD_WAIT_N on demand; RANDOM_ID_DUPLICATE for a reused random_id), pings, and
pushes of private messages (incoming, or typed in the phone app) as ``updates`` with
``updateNewMessage``, and read receipts (the contact opened the chat) as
``updateReadHistoryOutbox``. Auth keys live in memory: a fake's sessions end with it.

Files (core.telegram.org/api/files): pushed photos (``messageMediaPhoto`` with several
``photoSize``s, each its own file) and documents are served by ``upload.getFile`` with the
server's offset/limit rules (limit a multiple of 4 KiB dividing 1 MiB, offset a multiple of
4 KiB, a part never crossing a 1 MiB boundary; a short or empty part means the end), as
``upload.file`` with its ``storage.File*`` type. Uploads: ``upload.saveFilePart`` /
``saveBigFilePart`` collect the parts, ``messages.sendMedia`` checks they are all there (and
the MD5 of small files) and answers ``updates`` with ``updateMessageID`` + ``updateNewMessage``.

Our own sends reach the account's other connections as outgoing ``updateNewMessage`` when
``echo_sends`` is set (Telegram does this); ``hold_sends`` keeps the sender's answer back
until released, so a test can order "echo arrives" before "send answered".
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import struct
import time
import zlib
from dataclasses import dataclass, field
from hashlib import sha1, sha256
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa as crsa
from telethon import helpers
from telethon import password as tpassword
from telethon.crypto import AES, AuthKey
from telethon.crypto import rsa as trsa
from telethon.extensions import BinaryReader
from telethon.tl import functions, types
from telethon.tl.core import GzipPacked, MessageContainer
from telethon.tl.tlobject import TLObject

# Telegram's published 2048-bit DH prime (core.telegram.org/mtproto/auth_key), g = 3.
DH_PRIME = int(
    "c71caeb9c6b1c9048e6c522f70f13f73980d40238e3e21c14934d037563d930f48198a0aa7c14058229493d2"
    "2530f4dbfa336f6e0ac925139543aed44cce7c3720fd51f69458705ac68cd4fe6b6b13abdc9746512969328454"
    "f18faf8c595f642477fe96bb2a941d5bcd1d4ac8cc49880708fa9b378e3c4f3a9060bee67cf9a4a4a69581105"
    "1907e162753b56b0f6b410dba74d8a84b2a14b3144e0ef1284754fd17ed950d5965b4b9dd46582db1178d169c6"
    "bc465b0d6ff9ca3928fef5b9ae4e418fc15e83ebea0f87fa9ff5eed70050ded2849f47bf959d956850ce92985"
    "1f0d8115f635b105ee2e4e15d04b2454bf6f4fadf034b10403119cd8e3b92fcc5b",
    16,
)
DH_G = 3
PQ_P, PQ_Q = 1229739323, 1402015859  # the example pair of the MTProto docs; small to factor
RPC_RESULT = 0xF35C6D01
OWN_USER_ID = 777000111
MIB = 1024 * 1024
BOOL_TRUE = 0x997275B5  # boolTrue


def _b(integer: int) -> bytes:
    return integer.to_bytes((integer.bit_length() + 7) // 8, "big")


_RSA_KEY = crsa.generate_private_key(public_exponent=65537, key_size=2048)
_RSA_N = _RSA_KEY.public_key().public_numbers().n
_RSA_E = _RSA_KEY.public_key().public_numbers().e
_RSA_D = _RSA_KEY.private_numbers().d


def register_test_key() -> int:
    """Teach Telethon this server's RSA key (in-process clients only); returns its fingerprint."""
    pem = (
        _RSA_KEY.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1)
        .decode()
    )
    trsa.add_key(pem, old=False)
    data = TLObject.serialize_bytes(_b(_RSA_N)) + TLObject.serialize_bytes(_b(_RSA_E))
    fingerprint: int = struct.unpack("<q", sha1(data).digest()[-8:])[0]
    return fingerprint


@dataclass
class Account:
    phone: str
    code: str
    user_id: int
    first_name: str = "Shop"
    password: str | None = None  # two-step verification (SRP, checked like Telegram does)
    salt1: bytes = field(default_factory=lambda: os.urandom(16))
    salt2: bytes = field(default_factory=lambda: os.urandom(16))


@dataclass
class Sent:
    peer_user_id: int
    text: str
    random_id: int
    message_id: int = 0
    media: bytes | None = None  # the uploaded file's bytes (messages.sendMedia)
    media_kind: str | None = None  # "photo" or "document"
    mime_type: str | None = None
    filename: str | None = None


@dataclass
class StoredFile:
    """One downloadable file: a photo size or a document."""

    data: bytes
    file_type: Any  # storage.File* constructor
    access_hash: int
    file_reference: bytes


@dataclass
class _Conn:
    writer: asyncio.StreamWriter
    auth_key: AuthKey | None = None
    session_id: int = 0
    salt: int = 0
    send_counter: int = 0
    user_id: int | None = None
    seq: int = 0


@dataclass
class FakeMTProto:
    """Run with ``async with FakeMTProto() as fake:``; ``fake.port`` is the listening port."""

    accounts: dict[str, Account] = field(default_factory=dict)
    contacts: dict[int, tuple[int, str]] = field(default_factory=dict)  # id -> (hash, name)
    sent: list[Sent] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    flood_wait: list[int] = field(default_factory=list)  # next sends answer FLOOD_WAIT_N
    echo_sends: bool = False  # push our sends to the account's other connections
    hold_sends: asyncio.Event | None = None  # answer sends only once this is set
    lose_answers: int = 0  # next sends are done, then the connection drops unanswered
    get_file_calls: list[tuple[int, int]] = field(default_factory=list)  # (offset, limit)
    get_file_errors: list[tuple[int, str]] = field(default_factory=list)  # next getFile answers
    port: int = 0
    connections: int = 0  # TCP connections accepted (a proxy test checks nothing bypassed it)
    pts: int = 1
    _server: asyncio.AbstractServer | None = None
    _conns: list[_Conn] = field(default_factory=list)
    _keys: dict[int, AuthKey] = field(default_factory=dict)  # key id -> key (survives reconnects)
    _authorized: dict[int, int] = field(default_factory=dict)  # key id -> user id
    _phone_hash: dict[str, str] = field(default_factory=dict)
    _last_msg_id: int = 0
    _awaiting_password: dict[int, str] = field(default_factory=dict)  # key id -> phone
    _srp: dict[int, tuple[str, int, int]] = field(default_factory=dict)  # srp_id -> (phone, b, B)
    _next_message_id: int = 100
    _files: dict[tuple[str, int, str], StoredFile] = field(default_factory=dict)
    _parts: dict[int, dict[int, bytes]] = field(default_factory=dict)  # upload id -> parts

    def __post_init__(self) -> None:
        self.fingerprint = register_test_key()

    async def __aenter__(self) -> FakeMTProto:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for conn in self._conns:
            conn.writer.close()
        with contextlib.suppress(Exception):
            await self._server.wait_closed()

    def add_account(self, phone: str, code: str = "12345", password: str | None = None) -> Account:
        phone = phone.lstrip("+")  # Telethon sends the digits only
        account = Account(
            phone=phone, code=code, user_id=OWN_USER_ID + len(self.accounts), password=password
        )
        self.accounts[phone] = account
        return account

    def add_contact(self, user_id: int, name: str) -> None:
        self.contacts[user_id] = (int.from_bytes(os.urandom(7), "big"), name)

    # -- transport --------------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = _Conn(writer)
        self.connections += 1
        self._conns.append(conn)
        try:
            while True:
                head = await reader.readexactly(8)
                length, _seq = struct.unpack("<ii", head)
                rest = await reader.readexactly(length - 8)
                body, crc = rest[:-4], struct.unpack("<I", rest[-4:])[0]
                if zlib.crc32(head + body) != crc:
                    raise ConnectionError("bad CRC32 from client")
                await self._packet(conn, body)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self._conns.remove(conn)
            writer.close()

    def _frame(self, conn: _Conn, data: bytes) -> None:
        packed = struct.pack("<ii", len(data) + 12, conn.send_counter) + data
        conn.send_counter += 1
        conn.writer.write(packed + struct.pack("<I", zlib.crc32(packed)))

    def _msg_id(self) -> int:
        msg_id = (int(time.time() * 2**32) & ~3) | 1  # server message ids are odd
        if msg_id <= self._last_msg_id:
            msg_id = self._last_msg_id + 4
        self._last_msg_id = msg_id
        return msg_id

    async def _packet(self, conn: _Conn, body: bytes) -> None:
        key_id = struct.unpack("<Q", body[:8])[0]
        if key_id == 0:
            reader = BinaryReader(body[20:])
            self._plain(conn, reader.tgread_object())
            return
        key = self._keys.get(key_id)
        if key is None:
            self._frame(conn, struct.pack("<i", -404))  # unknown auth key, as Telegram does
            return
        conn.auth_key = key
        msg_key = body[8:24]
        aes_key, aes_iv = _calc_key(key.key, msg_key, client=True)
        plain = AES.decrypt_ige(body[24:], aes_key, aes_iv)
        if sha256(key.key[88 : 88 + 32] + plain).digest()[8:24] != msg_key:
            raise ConnectionError("msg_key mismatch")
        reader = BinaryReader(plain)
        conn.salt = reader.read_long()
        session_id = reader.read_long()
        msg_id = reader.read_long()
        reader.read_int()  # seq_no
        reader.read_int()  # length
        if session_id != conn.session_id:
            conn.session_id = session_id
            self._send(
                conn,
                bytes(
                    types.NewSessionCreated(
                        msg_id, int.from_bytes(os.urandom(8), "big", signed=True), 0
                    )
                ),
                related=False,
            )
        await self._message(conn, msg_id, reader.tgread_object())
        await conn.writer.drain()

    def _send(self, conn: _Conn, body: bytes, *, related: bool = True) -> None:
        assert conn.auth_key is not None
        seq = conn.seq * 2 + (1 if related else 0)
        if related:
            conn.seq += 1
        data = struct.pack("<qqqii", conn.salt, conn.session_id, self._msg_id(), seq, len(body))
        data += body
        padding = os.urandom(-(len(data) + 12) % 16 + 12)
        key = conn.auth_key.key
        msg_key = sha256(key[96 : 96 + 32] + data + padding).digest()[8:24]
        aes_key, aes_iv = _calc_key(key, msg_key, client=False)
        encrypted = AES.encrypt_ige(data + padding, aes_key, aes_iv)
        self._frame(conn, struct.pack("<Q", conn.auth_key.key_id) + msg_key + encrypted)

    # -- key exchange (core.telegram.org/mtproto/auth_key) ------------------------------------

    def _plain(self, conn: _Conn, request: Any) -> None:
        if isinstance(request, functions.ReqPqMultiRequest):
            self._nonce = request.nonce
            self._server_nonce = int.from_bytes(os.urandom(16), "big", signed=True)
            answer: Any = types.ResPQ(
                request.nonce, self._server_nonce, _b(PQ_P * PQ_Q), [self.fingerprint]
            )
        elif isinstance(request, functions.ReqDHParamsRequest):
            if request.public_key_fingerprint != self.fingerprint:
                raise ConnectionError("unknown RSA fingerprint")
            plain = pow(int.from_bytes(request.encrypted_data, "big"), _RSA_D, _RSA_N)
            data = plain.to_bytes(255, "big")
            inner = BinaryReader(data[20:]).tgread_object()
            self._new_nonce = inner.new_nonce
            self._a = int.from_bytes(os.urandom(256), "big")
            g_a = pow(DH_G, self._a, DH_PRIME)
            dh_inner = bytes(
                types.ServerDHInnerData(
                    request.nonce,
                    request.server_nonce,
                    DH_G,
                    _b(DH_PRIME),
                    _b(g_a),
                    int(time.time()),
                )
            )
            key, iv = helpers.generate_key_data_from_nonce(request.server_nonce, inner.new_nonce)
            answer = types.ServerDHParamsOk(
                request.nonce,
                request.server_nonce,
                AES.encrypt_ige(sha1(dh_inner).digest() + dh_inner, key, iv),
            )
        elif isinstance(request, functions.SetClientDHParamsRequest):
            key, iv = helpers.generate_key_data_from_nonce(request.server_nonce, self._new_nonce)
            plain = AES.decrypt_ige(request.encrypted_data, key, iv)
            client_inner = BinaryReader(plain[20:]).tgread_object()
            g_b = int.from_bytes(client_inner.g_b, "big")
            auth_key = AuthKey(_b(pow(g_b, self._a, DH_PRIME)))
            self._keys[auth_key.key_id] = auth_key
            answer = types.DhGenOk(
                request.nonce,
                request.server_nonce,
                auth_key.calc_new_nonce_hash(self._new_nonce, 1),
            )
        else:
            raise ConnectionError(f"unexpected plain request {type(request).__name__}")
        body = bytes(answer)
        self._frame(conn, struct.pack("<qqi", 0, self._msg_id(), len(body)) + body)

    # -- RPC ----------------------------------------------------------------------------------

    async def _message(self, conn: _Conn, msg_id: int, obj: Any) -> None:
        if isinstance(obj, MessageContainer):
            for message in obj.messages:
                await self._message(conn, message.msg_id, message.obj)
            return
        if isinstance(obj, GzipPacked):
            obj = BinaryReader(obj.data).tgread_object()
        if isinstance(obj, types.MsgsAck):
            return
        if isinstance(obj, functions.PingRequest | functions.PingDelayDisconnectRequest):
            self._send(conn, bytes(types.Pong(msg_id, obj.ping_id)), related=False)
            return
        while isinstance(
            obj,
            functions.InvokeWithLayerRequest
            | functions.InitConnectionRequest
            | functions.InvokeWithoutUpdatesRequest,
        ):
            obj = obj.query
        self.requests.append(type(obj).__name__)
        echo: types.Updates | None = None
        try:
            if isinstance(obj, functions.messages.SendMediaRequest):
                result, echo = self._send_media(conn, obj)
            else:
                result = self._answer(conn, obj)
                if isinstance(obj, functions.messages.SendMessageRequest):
                    echo = self._echo_of(conn, self.sent[-1])
        except _RpcError as exc:
            result = bytes(types.RpcError(exc.code, exc.message))
        if echo is not None and self.echo_sends:
            await self._push(self._account_of(conn), echo, skip=conn)
        if echo is not None and self.hold_sends is not None:
            await self.hold_sends.wait()
        if echo is not None and self.lose_answers > 0:  # sent, but the answer never arrives
            self.lose_answers -= 1
            conn.writer.close()
            return
        self._send(conn, struct.pack("<Iq", RPC_RESULT, msg_id) + result)

    def _user(self, user_id: int, *, me: bool = False) -> types.User:
        if me:
            account = next(a for a in self.accounts.values() if a.user_id == user_id)
            return types.User(
                id=user_id,
                is_self=True,
                access_hash=1,
                first_name=account.first_name,
                phone=account.phone,
            )
        access_hash, name = self.contacts[user_id]
        return types.User(id=user_id, access_hash=access_hash, first_name=name)

    def _me(self, conn: _Conn) -> int:
        assert conn.auth_key is not None
        user_id = self._authorized.get(conn.auth_key.key_id)
        if user_id is None:
            raise _RpcError(401, "AUTH_KEY_UNREGISTERED")
        conn.user_id = user_id
        return user_id

    def _answer(self, conn: _Conn, request: Any) -> bytes:
        if isinstance(request, functions.help.GetConfigRequest):
            return bytes(_config(self.port))
        if isinstance(request, functions.auth.SendCodeRequest):
            if request.phone_number not in self.accounts:
                raise _RpcError(400, "PHONE_NUMBER_INVALID")
            code_hash = os.urandom(8).hex()
            self._phone_hash[request.phone_number] = code_hash
            return bytes(
                types.auth.SentCode(
                    type=types.auth.SentCodeTypeApp(length=5), phone_code_hash=code_hash
                )
            )
        if isinstance(request, functions.auth.SignInRequest):
            account = self.accounts.get(request.phone_number)
            if account is None or self._phone_hash.get(account.phone) != request.phone_code_hash:
                raise _RpcError(400, "PHONE_CODE_EXPIRED")
            if request.phone_code != account.code:
                raise _RpcError(400, "PHONE_CODE_INVALID")
            assert conn.auth_key is not None
            if account.password is not None:
                self._awaiting_password[conn.auth_key.key_id] = account.phone
                raise _RpcError(401, "SESSION_PASSWORD_NEEDED")
            return self._authorize(conn, account)
        if isinstance(request, functions.account.GetPasswordRequest):
            assert conn.auth_key is not None
            phone = self._awaiting_password.get(conn.auth_key.key_id)
            if phone is None:
                raise _RpcError(401, "AUTH_KEY_UNREGISTERED")
            return bytes(self._password_request(self.accounts[phone]))
        if isinstance(request, functions.auth.CheckPasswordRequest):
            return self._check_password(conn, request.password)
        if isinstance(request, functions.users.GetUsersRequest):
            me = self._me(conn)
            users = []
            for peer in request.id:
                if isinstance(peer, types.InputUserSelf):
                    users.append(self._user(me, me=True))
                elif isinstance(peer, types.InputUser) and peer.user_id in self.contacts:
                    users.append(self._user(peer.user_id))
            return _vector(users)
        if isinstance(request, functions.updates.GetStateRequest):
            self._me(conn)
            return bytes(types.updates.State(self.pts, 0, int(time.time()), 1, 0))
        if isinstance(request, functions.updates.GetDifferenceRequest):
            self._me(conn)
            return bytes(types.updates.DifferenceEmpty(int(time.time()), 1))
        if isinstance(request, functions.messages.SendMessageRequest):
            self._me(conn)
            if self.flood_wait:
                raise _RpcError(420, f"FLOOD_WAIT_{self.flood_wait.pop(0)}")
            peer = request.peer
            if not isinstance(peer, types.InputPeerUser) or peer.user_id not in self.contacts:
                raise _RpcError(400, "PEER_ID_INVALID")
            if peer.access_hash != self.contacts[peer.user_id][0]:
                raise _RpcError(400, "PEER_ID_INVALID")
            if any(sent.random_id == request.random_id for sent in self.sent):
                raise _RpcError(500, "RANDOM_ID_DUPLICATE")  # Telegram's resend protection
            self.pts += 1
            self._next_message_id += 1
            self.sent.append(
                Sent(peer.user_id, request.message, request.random_id, self._next_message_id)
            )
            return bytes(
                types.UpdateShortSentMessage(
                    id=self._next_message_id,
                    pts=self.pts,
                    pts_count=1,
                    date=_now(),
                    out=True,
                )
            )
        if isinstance(request, functions.upload.GetFileRequest):
            self._me(conn)
            return self._get_file(request)
        if isinstance(request, functions.upload.SaveFilePartRequest):
            self._me(conn)
            return self._save_part(request.file_id, request.file_part, request.bytes, None)
        if isinstance(request, functions.upload.SaveBigFilePartRequest):
            self._me(conn)
            return self._save_part(
                request.file_id, request.file_part, request.bytes, request.file_total_parts
            )
        raise _RpcError(400, f"METHOD_NOT_SUPPORTED_BY_FAKE_{type(request).__name__.upper()}")

    # -- files (core.telegram.org/api/files) ----------------------------------------------------

    def _get_file(self, request: Any) -> bytes:
        location = request.location
        if isinstance(location, types.InputPhotoFileLocation):
            key = ("photo", location.id, location.thumb_size)
        elif isinstance(location, types.InputDocumentFileLocation):
            key = ("document", location.id, location.thumb_size)
        else:
            raise _RpcError(400, "LOCATION_INVALID")
        stored = self._files.get(key)
        if stored is None or stored.access_hash != location.access_hash:
            raise _RpcError(400, "LOCATION_INVALID")
        if stored.file_reference != location.file_reference:
            raise _RpcError(400, "FILE_REFERENCE_EXPIRED")
        offset, limit = request.offset, request.limit
        self.get_file_calls.append((offset, limit))
        if self.get_file_errors:
            code, message = self.get_file_errors.pop(0)
            raise _RpcError(code, message)
        if request.precise:  # "disable some checks": still at most 1 MiB, 1 KiB steps
            if limit <= 0 or limit > MIB or limit % 1024:
                raise _RpcError(400, "LIMIT_INVALID")
            if offset < 0 or offset % 1024:
                raise _RpcError(400, "OFFSET_INVALID")
        else:
            if limit <= 0 or limit % 4096 or MIB % limit:
                raise _RpcError(400, "LIMIT_INVALID")
            if offset < 0 or offset % 4096:
                raise _RpcError(400, "OFFSET_INVALID")
            if offset // MIB != (offset + limit - 1) // MIB:
                raise _RpcError(400, "LIMIT_INVALID")  # a part may not cross a 1 MiB boundary
        # Past the end the part is short or empty: that is how the client knows it is done.
        return bytes(
            types.upload.File(
                type=stored.file_type, mtime=_unix(), bytes=stored.data[offset : offset + limit]
            )
        )

    def _save_part(self, file_id: int, part: int, data: bytes, total: int | None) -> bytes:
        if part < 0 or (total is not None and part >= total):
            raise _RpcError(400, "FILE_PART_INVALID")
        if not data or len(data) > 512 * 1024:
            raise _RpcError(400, "FILE_PART_SIZE_INVALID")
        self._parts.setdefault(file_id, {})[part] = data
        return struct.pack("<I", BOOL_TRUE)

    def _uploaded(self, input_file: Any) -> bytes:
        parts = self._parts.pop(input_file.id, {})
        if sorted(parts) != list(range(input_file.parts)):
            raise _RpcError(400, "FILE_PARTS_INVALID")
        data = b"".join(parts[i] for i in range(input_file.parts))
        md5 = getattr(input_file, "md5_checksum", None)  # small files only (inputFile)
        if md5 and md5 != hashlib.md5(data).hexdigest():
            raise _RpcError(400, "MD5_CHECKSUM_INVALID")
        return data

    def _send_media(self, conn: _Conn, request: Any) -> tuple[bytes, types.Updates]:
        me = self._me(conn)
        if self.flood_wait:
            raise _RpcError(420, f"FLOOD_WAIT_{self.flood_wait.pop(0)}")
        peer = request.peer
        if not isinstance(peer, types.InputPeerUser) or peer.user_id not in self.contacts:
            raise _RpcError(400, "PEER_ID_INVALID")
        if peer.access_hash != self.contacts[peer.user_id][0]:
            raise _RpcError(400, "PEER_ID_INVALID")
        if len(request.message) > 1024:
            raise _RpcError(400, "MEDIA_CAPTION_TOO_LONG")
        if any(sent.random_id == request.random_id for sent in self.sent):
            raise _RpcError(500, "RANDOM_ID_DUPLICATE")
        media = request.media
        if isinstance(media, types.InputMediaUploadedPhoto):
            data = self._uploaded(media.file)
            stored_media: Any = self.photo_media(data)
            kind, mime, filename = "photo", "image/jpeg", None
        elif isinstance(media, types.InputMediaUploadedDocument):
            data = self._uploaded(media.file)
            filename = next(
                (
                    a.file_name
                    for a in media.attributes
                    if isinstance(a, types.DocumentAttributeFilename)
                ),
                None,
            )
            stored_media = self.document_media(data, media.mime_type, filename)
            kind, mime = "document", media.mime_type
        else:
            raise _RpcError(400, "MEDIA_INVALID")
        self.pts += 1
        self._next_message_id += 1
        message_id = self._next_message_id
        self.sent.append(
            Sent(
                peer.user_id,
                request.message,
                request.random_id,
                message_id,
                media=data,
                media_kind=kind,
                mime_type=mime,
                filename=filename,
            )
        )
        message = types.Message(
            id=message_id,
            peer_id=types.PeerUser(peer.user_id),
            from_id=types.PeerUser(me),
            date=_now(),
            message=request.message,
            out=True,
            media=stored_media,
        )
        users = [self._user(peer.user_id), self._user(me, me=True)]
        answer = types.Updates(
            updates=[
                types.UpdateMessageID(message_id, request.random_id),
                types.UpdateNewMessage(message, self.pts, 1),
            ],
            users=users,
            chats=[],
            date=_now(),
            seq=0,
        )
        echo = types.Updates(
            updates=[types.UpdateNewMessage(message, self.pts, 1)],
            users=users,
            chats=[],
            date=_now(),
            seq=0,
        )
        return bytes(answer), echo

    def _echo_of(self, conn: _Conn, sent: Sent) -> types.Updates:
        """A text send as the account's other sessions see it (same id and pts)."""
        me = self._me(conn)
        message = types.Message(
            id=sent.message_id,
            peer_id=types.PeerUser(sent.peer_user_id),
            from_id=types.PeerUser(me),
            date=_now(),
            message=sent.text,
            out=True,
        )
        return types.Updates(
            updates=[types.UpdateNewMessage(message, self.pts, 1)],
            users=[self._user(sent.peer_user_id), self._user(me, me=True)],
            chats=[],
            date=_now(),
            seq=0,
        )

    def _account_of(self, conn: _Conn) -> Account:
        me = self._me(conn)
        return next(a for a in self.accounts.values() if a.user_id == me)

    def forget_file(self, media: Any) -> None:
        """The file behind ``media`` is gone from Telegram's storage (LOCATION_INVALID)."""
        holder = getattr(media, "photo", None) or media.document
        kind = "photo" if isinstance(holder, types.Photo) else "document"
        for key in [k for k in self._files if k[:2] == (kind, holder.id)]:
            del self._files[key]

    def photo_media(self, data: bytes) -> types.MessageMediaPhoto:
        """A photo as Telegram stores it: a small thumbnail, a stripped preview and the full
        size, each a file of its own (the client asks for the size it wants by its type)."""
        photo_id = int.from_bytes(os.urandom(7), "big")
        access_hash = int.from_bytes(os.urandom(7), "big")
        reference = os.urandom(8)
        thumb = data[: min(len(data), 2048)]
        for size_type, content in (("s", thumb), ("y", data)):
            self._files[("photo", photo_id, size_type)] = StoredFile(
                content, types.storage.FileJpeg(), access_hash, reference
            )
        photo = types.Photo(
            id=photo_id,
            access_hash=access_hash,
            file_reference=reference,
            date=_now(),
            sizes=[
                types.PhotoSize("s", 90, 67, len(thumb)),
                types.PhotoStrippedSize("i", b"\x01\x28\x1e" + bytes(16)),
                types.PhotoSize("y", 1280, 960, len(data)),
            ],
            dc_id=2,
        )
        return types.MessageMediaPhoto(photo=photo)

    def document_media(
        self,
        data: bytes,
        mime_type: str,
        filename: str | None,
        *,
        attributes: list[Any] | None = None,
        declared_size: int | None = None,
    ) -> types.MessageMediaDocument:
        document_id = int.from_bytes(os.urandom(7), "big")
        access_hash = int.from_bytes(os.urandom(7), "big")
        reference = os.urandom(8)
        self._files[("document", document_id, "")] = StoredFile(
            data, _storage_type(mime_type), access_hash, reference
        )
        attrs = list(attributes or [])
        if filename is not None:
            attrs.append(types.DocumentAttributeFilename(filename))
        document = types.Document(
            id=document_id,
            access_hash=access_hash,
            file_reference=reference,
            date=_now(),
            mime_type=mime_type,
            size=declared_size if declared_size is not None else len(data),
            dc_id=2,
            attributes=attrs,
        )
        return types.MessageMediaDocument(document=document)

    def _authorize(self, conn: _Conn, account: Account) -> bytes:
        assert conn.auth_key is not None
        self._authorized[conn.auth_key.key_id] = account.user_id
        self._awaiting_password.pop(conn.auth_key.key_id, None)
        conn.user_id = account.user_id
        return bytes(types.auth.Authorization(user=self._user(account.user_id, me=True)))

    # -- two-step verification: SRP-2048 (core.telegram.org/api/srp), server side ---------------

    def _algo(self, account: Account) -> Any:
        return types.PasswordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow(
            account.salt1, account.salt2, DH_G, _b(DH_PRIME)
        )

    def _verifier(self, account: Account) -> int:
        assert account.password is not None
        x = int.from_bytes(tpassword.compute_hash(self._algo(account), account.password), "big")
        return pow(DH_G, x, DH_PRIME)

    def _password_request(self, account: Account) -> Any:
        b = int.from_bytes(os.urandom(256), "big")
        k = int.from_bytes(_srp_hash(_pad(_b(DH_PRIME)), _pad(_b(DH_G))), "big")
        big_b = (k * self._verifier(account) + pow(DH_G, b, DH_PRIME)) % DH_PRIME
        srp_id = int.from_bytes(os.urandom(8), "big", signed=True)
        self._srp[srp_id] = (account.phone, b, big_b)
        return types.account.Password(
            new_algo=types.PasswordKdfAlgoUnknown(),
            new_secure_algo=types.SecurePasswordKdfAlgoUnknown(),
            secure_random=os.urandom(32),
            has_password=True,
            current_algo=self._algo(account),
            srp_B=_pad(_b(big_b)),
            srp_id=srp_id,
        )

    def _check_password(self, conn: _Conn, check: Any) -> bytes:
        if not isinstance(check, types.InputCheckPasswordSRP) or check.srp_id not in self._srp:
            raise _RpcError(400, "SRP_ID_INVALID")
        phone, b, big_b = self._srp.pop(check.srp_id)
        account = self.accounts[phone]
        big_a = int.from_bytes(check.A, "big")
        a_hash, b_hash = _pad(_b(big_a)), _pad(_b(big_b))
        u = int.from_bytes(_srp_hash(a_hash, b_hash), "big")
        shared = pow(big_a * pow(self._verifier(account), u, DH_PRIME), b, DH_PRIME)
        p_hash, g_hash = _pad(_b(DH_PRIME)), _pad(_b(DH_G))
        expected = _srp_hash(
            bytes(x ^ y for x, y in zip(_srp_hash(p_hash), _srp_hash(g_hash), strict=True)),
            _srp_hash(account.salt1),
            _srp_hash(account.salt2),
            a_hash,
            b_hash,
            _srp_hash(_pad(_b(shared))),
        )
        if expected != check.M1:
            raise _RpcError(400, "PASSWORD_HASH_INVALID")
        return self._authorize(conn, account)

    def end_sessions(self, phone: str) -> None:
        """The owner ends every session of the account ("Terminate all sessions" on the
        phone): their auth keys answer AUTH_KEY_UNREGISTERED from now on."""
        user_id = self.accounts[phone.lstrip("+")].user_id
        for key_id in [k for k, u in self._authorized.items() if u == user_id]:
            del self._authorized[key_id]

    async def push_message(self, to_phone: str, from_user: int, text: str) -> int:
        """Deliver a private message from a contact to every connection of the account."""
        account = self.accounts[to_phone.lstrip("+")]
        self.pts += 1
        self._next_message_id += 1
        return await self.push_again(account, from_user, text, self._next_message_id, self.pts)

    async def push_echo(self, from_phone: str, to_user: int, text: str) -> int:
        """A message the account's owner typed in the phone app, as other sessions see it."""
        account = self.accounts[from_phone.lstrip("+")]
        self.pts += 1
        self._next_message_id += 1
        return await self.push_again(
            account, to_user, text, self._next_message_id, self.pts, out=True
        )

    async def push_media(
        self,
        to_phone: str,
        from_user: int,
        media: Any,
        caption: str = "",
        *,
        out: bool = False,
    ) -> int:
        """A message with a photo or document (build ``media`` with ``photo_media`` or
        ``document_media``) from a contact, or typed in the phone app with ``out``."""
        account = self.accounts[to_phone.lstrip("+")]
        self.pts += 1
        self._next_message_id += 1
        return await self.push_again(
            account, from_user, caption, self._next_message_id, self.pts, out=out, media=media
        )

    async def push_read(self, phone: str, reader: int, max_id: int) -> None:
        """The contact ``reader`` read the account's messages up to ``max_id``."""
        account = self.accounts[phone.lstrip("+")]
        self.pts += 1
        update = types.Updates(
            updates=[types.UpdateReadHistoryOutbox(types.PeerUser(reader), max_id, self.pts, 1)],
            users=[self._user(reader)],
            chats=[],
            date=_now(),
            seq=0,
        )
        await self._push(account, update)

    async def push_again(
        self,
        account: Account,
        from_user: int,
        text: str,
        message_id: int,
        pts: int,
        *,
        out: bool = False,
        media: Any = None,
    ) -> int:
        """Send an update (again: Telegram may resend after a reconnect)."""
        message = types.Message(
            id=message_id,
            peer_id=types.PeerUser(from_user),
            from_id=types.PeerUser(account.user_id if out else from_user),
            date=_now(),
            message=text,
            out=out,
            media=media,
        )
        update = types.Updates(
            updates=[types.UpdateNewMessage(message, pts, 1)],
            users=[self._user(from_user)],
            chats=[],
            date=_now(),
            seq=0,
        )
        await self._push(account, update)
        return message_id

    async def _push(
        self, account: Account, update: types.Updates, *, skip: _Conn | None = None
    ) -> None:
        """Send an update to every connection logged in as ``account`` (but ``skip``)."""
        for conn in list(self._conns):
            if conn is skip:
                continue
            if conn.auth_key is not None and self._authorized.get(conn.auth_key.key_id) == (
                account.user_id
            ):
                self._send(conn, bytes(update), related=False)
                await conn.writer.drain()


class _RpcError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def _calc_key(auth_key: bytes, msg_key: bytes, *, client: bool) -> tuple[bytes, bytes]:
    x = 0 if client else 8
    a = sha256(msg_key + auth_key[x : x + 36]).digest()
    b = sha256(auth_key[x + 40 : x + 76] + msg_key).digest()
    return a[:8] + b[8:24] + a[24:32], b[:8] + a[8:24] + b[24:32]


def _pad(number: bytes) -> bytes:
    return bytes(256 - len(number)) + number


def _srp_hash(*parts: bytes) -> bytes:
    return sha256(b"".join(parts)).digest()


def _vector(items: list[Any]) -> bytes:
    return struct.pack("<Ii", 0x1CB5C415, len(items)) + b"".join(bytes(i) for i in items)


def _unix() -> int:
    return int(time.time())


def _storage_type(mime_type: str) -> Any:
    """The storage.File* type Telegram reports for a file of this type."""
    return {
        "image/jpeg": types.storage.FileJpeg(),
        "image/png": types.storage.FilePng(),
        "image/gif": types.storage.FileGif(),
        "image/webp": types.storage.FileWebp(),
        "application/pdf": types.storage.FilePdf(),
        "audio/mpeg": types.storage.FileMp3(),
        "video/mp4": types.storage.FileMp4(),
        "video/quicktime": types.storage.FileMov(),
    }.get(mime_type, types.storage.FileUnknown())


def _now() -> Any:
    import datetime

    return datetime.datetime.now(tz=datetime.UTC)


def _config(port: int) -> types.Config:
    now = _now()
    return types.Config(
        date=now,
        expires=now.replace(year=now.year + 1),
        test_mode=False,
        this_dc=2,
        dc_options=[
            types.DcOption(id=dc, ip_address="127.0.0.1", port=port) for dc in (1, 2, 3, 4, 5)
        ],
        dc_txt_domain_name="localhost",
        chat_size_max=200,
        megagroup_size_max=200000,
        forwarded_count_max=100,
        online_update_period_ms=210000,
        offline_blur_timeout_ms=5000,
        offline_idle_timeout_ms=30000,
        online_cloud_timeout_ms=300000,
        notify_cloud_delay_ms=30000,
        notify_default_delay_ms=1500,
        push_chat_period_ms=60000,
        push_chat_limit=2,
        edit_time_limit=172800,
        revoke_time_limit=2147483647,
        revoke_pm_time_limit=2147483647,
        rating_e_decay=2419200,
        stickers_recent_limit=200,
        channels_read_media_period=604800,
        call_receive_timeout_ms=20000,
        call_ring_timeout_ms=90000,
        call_connect_timeout_ms=30000,
        call_packet_timeout_ms=10000,
        me_url_prefix="https://t.me/",
        caption_length_max=1024,
        message_length_max=4096,
        webfile_dc_id=4,
    )
