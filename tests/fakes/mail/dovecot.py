"""A real dovecot IMAP server, started for the tests with a generated configuration.

Everything lives in a temporary directory: config, users (passwd-file, plain passwords),
maildirs, logs, sockets. Run as root (CI), dovecot drops to its own ``dovecot``/``dovenull``
users as packaged; run as an ordinary user, every process stays that user. Optional TLS
(``ssl=yes``) with a self-signed certificate for STARTTLS and IMAPS tests.

``capabilities`` replaces the CAPABILITY list (dovecot's ``imap_capability``): a server
without IDLE, for the polling mode. ``rawlog`` records every logged-in session's traffic
(``rawlog_dir``, one ``*.in``/``*.out`` pair per connection) so a test can count what the
client really sent.
"""

import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"


@dataclass(frozen=True)
class Command:
    session: str  # one rawlog per connection
    at: float  # unix time
    text: str  # the command without its tag ("UID SEARCH UID 1:*"), or a line like DONE


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Dovecot:
    root: Path
    port: int = 0
    users: dict[str, str] = field(default_factory=dict)
    cert_file: Path | None = None
    key_file: Path | None = None
    capabilities: str | None = None
    rawlog: bool = False
    imaps_port: int = 0  # with TLS: implicit TLS (IMAPS) here, beside STARTTLS on ``port``
    _pid_file: Path | None = None

    def _config(self) -> str:
        root = self.root
        if os.geteuid() == 0:
            internal, login, mail_user = "dovecot", "dovenull", "dovecot"
        else:
            me = pwd.getpwuid(os.geteuid()).pw_name
            internal = login = mail_user = me
        group = mail_user
        tls = (
            f"ssl = yes\nssl_cert = <{self.cert_file}\nssl_key = <{self.key_file}\n"
            if self.cert_file
            else "ssl = no\n"
        )
        extra = ""
        if self.capabilities is not None:
            extra += f"imap_capability = {self.capabilities}\n"
        if self.rawlog:
            extra += f"protocol imap {{\n  rawlog_dir = {root}/rawlog/%u\n}}\n"
        return f"""{extra}
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
{tls}disable_plaintext_auth = no
auth_mechanisms = plain login
# Tests log in with wrong passwords on purpose: no delay, no per-IP penalty afterwards.
auth_failure_delay = 0
login_trusted_networks = 127.0.0.0/8
default_internal_user = {internal}
default_internal_group = {group}
default_login_user = {login}
first_valid_uid = 1
mail_location = maildir:{root}/mail/%u
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.imaps_port if self.cert_file else 0}
    ssl = yes
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = 0
  }}
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={group} home={root}/mail/%u
}}
"""

    def start(self) -> "Dovecot":
        self.port = self.port or free_port()
        if self.cert_file is not None:
            self.imaps_port = self.imaps_port or free_port()
        os.chmod(self.root, 0o755)
        (self.root / "mail").mkdir(exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.root / "mail", "dovecot", "dovecot")
        self._write_users()
        if self.rawlog:  # dovecot writes a user's rawlog only into an existing directory
            for user in self.users:
                directory = self.root / "rawlog" / user
                directory.mkdir(parents=True, exist_ok=True)
                if os.geteuid() == 0:
                    shutil.chown(directory, "dovecot", "dovecot")
        config = self.root / "dovecot.conf"
        config.write_text(self._config())
        subprocess.run([DOVECOT, "-c", str(config)], check=True, timeout=30)
        self._pid_file = self.root / "run" / "master.pid"
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("dovecot did not start: " + self.log())

    def _write_users(self) -> None:
        lines = [f"{user}:{{PLAIN}}{password}" for user, password in self.users.items()]
        (self.root / "passwd").write_text("\n".join(lines) + "\n")
        os.chmod(self.root / "passwd", 0o644)

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self._pid_file is not None and self._pid_file.exists():
            pid = int(self._pid_file.read_text().strip())
            try:
                os.kill(pid, 15)
            except ProcessLookupError:
                return
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    return
                time.sleep(0.05)

    # What a mail client (or the MTA delivering) does: real IMAP commands.
    def connect(self, user: str) -> imaplib.IMAP4:
        conn = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        conn.login(user, self.users[user])
        return conn

    def deliver(self, user: str, raw: bytes, mailbox: str = "INBOX") -> int:
        """APPEND a message; returns its UID (from APPENDUID, RFC 4315)."""
        conn = self.connect(user)
        try:
            status, data = conn.append(mailbox, None, None, raw)
            assert status == "OK", data
            text = data[0].decode() if isinstance(data[0], bytes) else str(data[0])
            return int(text.split("APPENDUID", 1)[1].split()[1].rstrip("]"))
        finally:
            conn.logout()

    def expunge_all(self, user: str, mailbox: str = "INBOX") -> None:
        conn = self.connect(user)
        try:
            conn.select(mailbox)
            conn.store("1:*", "+FLAGS", "(\\Deleted)")
            conn.expunge()
        finally:
            conn.logout()

    def commands(self, user: str) -> list["Command"]:
        """Every command the user's logged-in sessions sent so far (``rawlog=True``), with
        the time dovecot read it; LOGIN happens before the rawlog starts and is absent."""
        found: list[Command] = []
        for path in sorted((self.root / "rawlog" / user).glob("*.in")):
            for raw in path.read_bytes().split(b"\r\n"):
                # "<unix time> <tag> <command>"; continuation lines (DONE, literals) kept
                at, _, rest = raw.decode("utf-8", "replace").partition(" ")
                tag, _, command = rest.partition(" ")
                if at.replace(".", "", 1).isdigit():
                    found.append(Command(path.stem, float(at), command or tag))
        return found

    def reset_uidvalidity(self, user: str) -> None:
        """Recreate the mailbox storage: the server then reports a new UIDVALIDITY."""
        shutil.rmtree(self.root / "mail" / user, ignore_errors=True)
        time.sleep(1.1)  # UIDVALIDITY is time-based: make sure it changes


def new_dovecot(
    users: dict[str, str],
    *,
    tls: tuple[Path, Path] | None = None,
    capabilities: str | None = None,
    rawlog: bool = False,
) -> Dovecot:
    root = Path(tempfile.mkdtemp(prefix="crossdesk-dovecot-"))
    server = Dovecot(root, users=dict(users), capabilities=capabilities, rawlog=rawlog)
    if tls is not None:
        server.cert_file, server.key_file = tls
    return server.start()
