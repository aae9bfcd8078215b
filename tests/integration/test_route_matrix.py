"""Every route × every role: the HTTP answer follows the permission matrix.

The expectation is generated from what each route declares (``require(...)``, with its
``any_of`` flag) and ``ROLE_PERMISSIONS``; the answer is a real request with the role's
API token. A denied role must get 403; an allowed one must get past authorization (any
status but 401/403; dummy ids give 404/422). A route with no declaration fails
``test_every_route_declares_a_permission_or_is_public``.

``python -m tests.integration.test_route_matrix`` prints the route table for
docs/security.md.
"""

import inspect
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import iter_route_contexts
from tests.factories import DemoWorld, bearer

from crossdesk.actions.identity import create_api_token, create_user
from crossdesk.db.session import transaction
from crossdesk.domain import Permission, Role
from crossdesk.risk import audit
from crossdesk.risk.rbac import ROLE_PERMISSIONS
from crossdesk.services import Services

DOCS = Path(__file__).resolve().parents[2] / "docs" / "security.md"
DUMMY_ID = "0" * 32
# Streams never end: only the deny side is checked over HTTP.
STREAMING = {"/api/v1/events"}


@dataclass(frozen=True, slots=True)
class Requirement:
    permissions: tuple[Permission, ...]
    any_of: bool

    def allows(self, role: Role) -> bool:
        granted = [p in ROLE_PERMISSIONS[role] for p in self.permissions]
        return any(granted) if self.any_of else all(granted)

    def __str__(self) -> str:
        joiner = " or " if self.any_of else " and "
        return joiner.join(p.value for p in self.permissions)


def requirements(dependant: Dependant) -> list[Requirement] | None:
    """The route's permission checks ([] if it declares none), or None if public."""
    found: list[Requirement] = []
    public = False
    stack = list(dependant.dependencies)
    while stack:
        dependency = stack.pop()
        call = dependency.call
        if getattr(call, "__name__", "") == "public_route":
            public = True
        permissions = getattr(call, "crossdesk_permissions", None)
        if permissions is not None:
            closure = inspect.getclosurevars(call).nonlocals  # type: ignore[arg-type]
            requirement = Requirement(tuple(permissions), bool(closure.get("any_of", False)))
            if requirement not in found:
                found.append(requirement)
        stack.extend(dependency.dependencies)
    if public and not found:
        return None
    return found


def all_routes(app: FastAPI) -> list[tuple[str, str, list[Requirement] | None]]:
    """Every (method, path, requirements) of the app, included routers flattened.

    FastAPI 0.165 keeps included routers as ``_IncludedRouter`` entries in ``app.routes``;
    ``iter_route_contexts`` yields the effective routes inside them."""
    rows = []
    for route in iter_route_contexts(app.routes):
        dependant = getattr(route, "dependant", None)
        if dependant is None:  # the OpenAPI and docs pages
            continue
        needs = requirements(dependant)
        for method in sorted(set(getattr(route, "methods", None) or ()) - {"HEAD"}):
            rows.append((method, route.path, needs))
    return sorted(rows, key=lambda r: (r[1], r[0]))


def protected_routes(app: FastAPI) -> list[tuple[str, str, list[Requirement]]]:
    return [(m, p, needs) for m, p, needs in all_routes(app) if needs is not None]


def test_every_route_declares_a_permission_or_is_public(app: FastAPI) -> None:
    """Also covers routers included with ``include_router`` (which ``app.routes`` hides)."""
    assert len(all_routes(app)) > 40
    assert [f"{m} {p}" for m, p, needs in all_routes(app) if needs == []] == []


def route_table(app: FastAPI) -> str:
    roles = list(Role)
    lines = [
        "| route | needs | " + " | ".join(r.value for r in roles) + " |",
        "| --- | --- |" + " --- |" * len(roles),
    ]
    for method, path, needs in protected_routes(app):
        marks = ["✓" if all(n.allows(role) for n in needs) else "·" for role in roles]
        need_text = "; ".join(f"({n})" if len(needs) > 1 else str(n) for n in needs)
        lines.append(f"| `{method} {path}` | {need_text} | " + " | ".join(marks) + " |")
    return "\n".join(lines)


def permission_table() -> str:
    roles = list(Role)
    lines = [
        "| permission | " + " | ".join(r.value for r in roles) + " |",
        "| --- |" + " --- |" * len(roles),
    ]
    for permission in Permission:
        marks = ["✓" if permission in ROLE_PERMISSIONS[r] else "·" for r in roles]
        lines.append(f"| `{permission.value}` | " + " | ".join(marks) + " |")
    return "\n".join(lines)


@pytest.fixture
async def tokens(sqlite_services: Services, app_world: DemoWorld) -> dict[Role, str]:
    async with transaction(sqlite_services.sessionmaker) as session:
        admin = await create_user(
            session,
            app_world.workspace_id,
            email="admin-matrix@test.shop",
            display_name="admin",
            password="correct horse battery",
            role=Role.ADMIN,
        )
        await session.flush()
        admin_token = await create_api_token(session, admin, "matrix", audit.SYSTEM)
    return {
        Role.OWNER: app_world.tokens["owner"],
        Role.ADMIN: admin_token,
        Role.SUPERVISOR: app_world.tokens["supervisor"],
        Role.AGENT: app_world.tokens["agent_a"],
        Role.AUDITOR: app_world.tokens["auditor"],
    }


async def test_every_route_answers_every_role_as_the_matrix_says(
    app: FastAPI, client: httpx.AsyncClient, tokens: dict[Role, str]
) -> None:
    routes = protected_routes(app)
    assert len(routes) > 20
    wrong: list[str] = []
    for method, path, needs in routes:
        url = path
        while "{" in url:
            start, end = url.index("{"), url.index("}")
            url = url[:start] + DUMMY_ID + url[end + 1 :]
        for role, token in tokens.items():
            allowed = all(n.allows(role) for n in needs)
            if allowed and path in STREAMING:
                continue
            response = await client.request(method, url, headers=bearer(token))
            got = response.status_code
            if allowed and got in (401, 403):
                wrong.append(f"{method} {path} as {role.value}: {got}, expected allowed")
            if not allowed and got != 403:
                wrong.append(f"{method} {path} as {role.value}: {got}, expected 403")
    assert wrong == []


async def test_unauthenticated_callers_are_refused_everywhere(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    for method, path, _ in protected_routes(app):
        url = path.replace("{", "").replace("}", "")
        response = await client.request(method, url)
        assert response.status_code in (401, 303), f"{method} {path}: {response.status_code}"


def test_security_doc_carries_the_current_permission_matrix() -> None:
    assert permission_table() in DOCS.read_text(encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover - a helper for docs/security.md
    from crossdesk.config import Settings
    from crossdesk.web.app import create_app

    print(permission_table())
    print()
    print(route_table(create_app(Settings(data_dir=Path("/tmp/crossdesk-matrix"), demo=True))))
