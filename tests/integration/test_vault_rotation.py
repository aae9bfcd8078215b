"""Master key rotation and verification over every sealed column, and the CLI around them."""

import asyncio
import secrets
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import select, update
from tests.factories import DemoWorld, build_world, inbound, receive
from typer.testing import CliRunner

from crossdesk.actions import sessions
from crossdesk.actions.identity import principal_for
from crossdesk.actions.vault_rotation import Cursor, Progress, rotate_vault, verify_vault
from crossdesk.cli.main import app as cli
from crossdesk.config import Settings
from crossdesk.db.models import Message, Secret, User
from crossdesk.db.session import transaction
from crossdesk.risk import audit
from crossdesk.risk.rbac import Principal
from crossdesk.services import Services, build_services
from crossdesk.vault import Envelope, KeyFile, KeySet, derive_master_key
from crossdesk.vault.crypto import associated_data, blob_key_id
from crossdesk.vault.keyring import generate_key

STATE = (
    b'{"cookies": [{"name": "sid", "value": "sid-planted-1", "domain": "127.0.0.1", '
    b'"path": "/", "expires": -1, "httpOnly": true, "secure": false, "sameSite": "Lax"}], '
    b'"origins": []}'
)


async def principal(services: Services, user: User) -> Principal:
    async with services.read_sessionmaker() as session:
        return await principal_for(session, user)


async def seed(services: Services, world: DemoWorld) -> None:
    await receive(services, world.account_a, inbound("hola, mi teléfono es +34 612 345 678"))
    owner = await principal(services, world.users["owner"])
    await sessions.capture_session(services, owner, world.account_a.id, STATE, audit.SYSTEM)


def start_rotation(services: Services) -> KeySet:
    """What `crossdesk vault rotate` does first: new current key, old one kept as previous."""
    key_file = KeyFile(services.settings.master_key_file)
    old = key_file.read()
    new = KeySet(generate_key(), (old.current, *old.previous))
    key_file.write(new)
    assert services.envelope.refresh()
    return new


async def test_rotation_rewraps_every_column_and_old_key_can_be_retired(
    services: Services, world: DemoWorld
) -> None:
    await seed(services, world)
    before = await verify_vault(services)
    assert before.ok and before.seen == 6  # 4 secrets, 1 message body, 1 session
    new = start_rotation(services)

    seen: list[Progress] = []
    report = await rotate_vault(services, batch=2, progress=seen.append)
    assert report.ok and report.changed == 6 and report.raced == 0
    assert {p.column for p in seen} == {
        "secret.blob",
        "message.body_raw_enc",
        "account_session.state_enc",
    }
    after = await verify_vault(services)
    assert after.ok and after.by_key == {new.current.key_id.hex(): 6}

    # With the previous key gone, everything still opens, and a checkout still works.
    KeyFile(services.settings.master_key_file).write(KeySet(new.current))
    services.envelope.refresh()
    assert services.envelope.keys.previous == (
        derive_master_key(services.settings.resolved_secret_key(), "vault"),
    )
    assert (await verify_vault(services)).ok
    agent = await principal(services, world.users["agent_a"])
    out = await sessions.checkout_session(services, agent, world.account_a.id, audit.SYSTEM)
    assert b"sid-planted" in out.state


async def test_rotation_resumes_from_its_cursor(services: Services, world: DemoWorld) -> None:
    await seed(services, world)
    new = start_rotation(services)
    cursors: list[Cursor] = []

    class Crash(Exception):
        pass

    def crash_after_two(progress: Progress) -> None:
        cursors.append(progress.cursor)
        if len(cursors) == 2:
            raise Crash

    with pytest.raises(Crash):
        await rotate_vault(services, batch=1, progress=crash_after_two)
    partial = await verify_vault(services)
    assert partial.by_key[new.current.key_id.hex()] == 2
    resumed = await rotate_vault(services, batch=1, start=cursors[-1])
    assert resumed.changed == 4
    assert (await verify_vault(services)).by_key == {new.current.key_id.hex(): 6}


async def test_tampered_record_is_named_and_the_rest_rotates(
    services: Services, world: DemoWorld
) -> None:
    await seed(services, world)
    async with transaction(services.sessionmaker) as session:
        message = await session.scalar(select(Message))
        assert message is not None and message.body_raw_enc is not None
        blob = bytearray(message.body_raw_enc)
        blob[-1] ^= 1
        await session.execute(
            update(Message).where(Message.id == message.id).values(body_raw_enc=bytes(blob))
        )
    start_rotation(services)
    report = await rotate_vault(services)
    assert report.changed == 5
    assert report.failures == [
        f"record message {message.id} (original body) failed authentication (tampered or moved)"
    ]
    verified = await verify_vault(services)
    assert len(verified.failures) == 1 and message.id in verified.failures[0]


async def test_records_sealed_before_master_keys_existed_still_open_and_rotate(
    services: Services, world: DemoWorld
) -> None:
    """Upgrading an installation: its records were sealed with the derived key."""
    legacy = Envelope(derive_master_key(services.settings.resolved_secret_key(), "vault"))
    async with transaction(services.sessionmaker) as session:
        row = await session.scalar(select(Secret).where(Secret.name == "api_token"))
        assert row is not None
        plain = services.envelope.open(
            row.blob, associated_data(row.workspace_id, row.id, "account.api_token"), record="s"
        )
        row.blob = legacy.seal(
            plain, associated_data(row.workspace_id, row.id, "account.api_token")
        )
    assert (await verify_vault(services)).ok
    report = await rotate_vault(services)
    assert report.changed == 1
    current = services.envelope.keys.current.key_id.hex()
    assert (await verify_vault(services)).by_key == {current: 4}


def test_cli_rotate_then_verify_and_a_tampered_record_fails_verify(
    tmp_path: Path, sqlite_url: str
) -> None:
    env = {
        "CROSSDESK_DATA_DIR": str(tmp_path),
        "CROSSDESK_DATABASE_URL": sqlite_url,
        "CROSSDESK_SECRET_KEY": "cli-" + secrets.token_hex(16),
    }
    settings = Settings(
        data_dir=tmp_path,
        database_url=sqlite_url,
        secret_key=SecretStr(env["CROSSDESK_SECRET_KEY"]),
        run_workers=False,
    )

    async def seeded() -> None:
        services = build_services(settings)
        try:
            await seed(services, await build_world(services))
        finally:
            await services.close()

    asyncio.run(seeded())
    old = KeyFile(settings.master_key_file).read().current
    runner = CliRunner()
    rotated = runner.invoke(cli, ["vault", "rotate", "--batch", "2"], env=env)
    assert rotated.exit_code == 0, rotated.output
    assert "new master key written" in rotated.output
    assert "every record is under the current key" in rotated.output
    keys = KeyFile(settings.master_key_file).read()
    assert keys.current != old and keys.previous == (old,)
    assert not settings.master_key_file.with_name("master.key.rotation").exists()

    verified = runner.invoke(cli, ["vault", "verify"], env=env)
    assert verified.exit_code == 0, verified.output
    assert f"6/6 records open; records per master key: {{'{keys.current.key_id.hex()}': 6}}" in (
        verified.output.replace("\n", "")
    )

    retired = runner.invoke(cli, ["vault", "rotate", "--retire-previous"], env=env)
    assert retired.exit_code == 0, retired.output
    assert KeyFile(settings.master_key_file).read().previous == ()

    async def tamper() -> str:
        services = build_services(settings)
        try:
            async with transaction(services.sessionmaker) as session:
                row = await session.scalar(select(Secret))
                assert row is not None
                blob = bytearray(row.blob)
                blob[12] ^= 1
                row.blob = bytes(blob)
                bad: str = row.id
                return bad
        finally:
            await services.close()

    bad_id = asyncio.run(tamper())
    failed = runner.invoke(cli, ["vault", "verify"], env=env)
    assert failed.exit_code == 1
    assert f"secret {bad_id}" in failed.output and "failed authentication" in failed.output
    assert blob_key_id(b"") is None
