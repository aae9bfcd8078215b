"""Settings, read once at start-up from CROSSDESK_* environment variables and passed down.

Nested subsystems use a double underscore: ``CROSSDESK_WEB__MAX_BODY_BYTES=2000000``.
"""

import os
import secrets
from pathlib import Path

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from crossdesk.errors import ConfigError


class WebSettings(BaseModel):
    max_body_bytes: int = Field(default=1_000_000, ge=1024)
    session_days: int = Field(default=7, ge=1, le=90)
    # Set when served behind TLS so cookies are Secure and named __Host-.
    secure_cookies: bool = False
    public_url: str = "http://127.0.0.1:8000"


class DeliverySettings(BaseModel):
    max_attempts: int = Field(default=8, ge=1)
    base_backoff_seconds: float = Field(default=1.0, gt=0)
    max_backoff_seconds: float = Field(default=300.0, gt=0)
    # A claim older than this is considered abandoned by a dead worker.
    lease_seconds: float = Field(default=60.0, gt=0)
    poll_interval_seconds: float = Field(default=0.5, gt=0)


class OutboundFileSettings(BaseModel):
    """Files agents send (docs/configuration.md, "Outbound files")."""

    # Global cap on one file, whatever the platform allows (each platform's own limit
    # applies below it: WhatsApp images 5 MB, Telegram bots 50 MB, ...).
    max_bytes: int = Field(default=25 * 1024 * 1024, ge=1024)
    # How long a signed public file URL stays valid (platforms that fetch files by URL,
    # e.g. LINE, download them from CROSSDESK_WEB__PUBLIC_URL, which must be https).
    url_ttl_seconds: int = Field(default=7 * 24 * 3600, ge=60, le=90 * 24 * 3600)


class VaultSettings(BaseModel):
    # Default: master.key in the data directory. Ignored when CROSSDESK_MASTER_KEY is set.
    key_file: Path | None = None
    # Open records sealed before master keys existed (key derived from the secret key).
    derived_key_fallback: bool = True
    rotation_batch: int = Field(default=200, ge=1, le=10_000)


class SessionSettings(BaseModel):
    # A checked-out browser session is leased for this long; the launcher renews it.
    lease_minutes: int = Field(default=30, ge=1, le=24 * 60)
    # Largest storage state (decompressed JSON) accepted on check-in.
    max_state_bytes: int = Field(default=64_000_000, ge=1024)
    # Every account's platform connection is probed this often (0 turns it off).
    health_check_minutes: float = Field(default=15.0, ge=0)
    # IP-echo endpoint asked through each account's proxy with the health probes, to record
    # the address the platform sees (JSON {"ip", "country"} or the bare IP); "" turns it off.
    egress_echo_url: str = "https://ipinfo.io/json"
    # Per-platform send-limit defaults over the built-in ones (docs/sessions.md), e.g.
    # CROSSDESK_SESSIONS__SEND_LIMIT_DEFAULTS='{"telegram_bot": {"per_hour": 600}}'.
    send_limit_defaults: dict[str, dict[str, int | None]] = Field(default_factory=dict)

    @field_validator("send_limit_defaults")
    @classmethod
    def _valid_send_limits(
        cls, value: dict[str, dict[str, int | None]]
    ) -> dict[str, dict[str, int | None]]:
        from crossdesk.domain.send_limits import parse_platform_defaults

        parse_platform_defaults(value)  # raises ValueError naming the platform and field
        return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CROSSDESK_", env_nested_delimiter="__", extra="ignore"
    )

    data_dir: Path = Path("data")
    database_url: str | None = None
    redis_url: str | None = None
    secret_key: SecretStr | None = None
    # Vault master key, base64 of 32 bytes; without it a key file is used (see VaultSettings).
    master_key: SecretStr | None = None
    # Older master keys (comma-separated) that still open records during a rotation.
    master_key_previous: SecretStr | None = None
    demo: bool = False
    web: WebSettings = WebSettings()
    delivery: DeliverySettings = DeliverySettings()
    vault: VaultSettings = VaultSettings()
    outbound_files: OutboundFileSettings = OutboundFileSettings()
    sessions: SessionSettings = SessionSettings()
    run_workers: bool = True

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+psycopg://")):
            raise ValueError(
                "CROSSDESK_DATABASE_URL must start with sqlite+aiosqlite:// or postgresql+psycopg://"
            )
        return value

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'crossdesk.db').resolve()}"

    @property
    def master_key_file(self) -> Path:
        return self.vault.key_file or self.data_dir / "master.key"

    def resolved_secret_key(self) -> bytes:
        """The key that signs sessions and derives other keys; generated on first run."""
        if self.secret_key is not None:
            value = self.secret_key.get_secret_value()
            if value in {"", "changeme", "secret"} and not self.demo:
                raise ConfigError("CROSSDESK_SECRET_KEY is a placeholder; set a real random value")
            return value.encode()
        return _load_or_create_key_file(self.data_dir / "secret.key")


def _load_or_create_key_file(path: Path) -> bytes:
    if path.exists():
        if path.stat().st_mode & 0o077:
            raise ConfigError(f"{path} must be readable by its owner only (chmod 600)")
        return path.read_bytes().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48).encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    return key


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment, with explicit overrides (CLI options, tests)."""
    return Settings(**overrides)  # type: ignore[arg-type]  # pydantic validates the overrides
