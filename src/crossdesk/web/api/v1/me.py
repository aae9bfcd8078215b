"""The caller's own profile."""

from fastapi import APIRouter, Depends

from crossdesk.domain import Permission
from crossdesk.risk.rbac import Principal
from crossdesk.web.api.v1.schemas import MeOut
from crossdesk.web.deps import require

router = APIRouter(tags=["me"])


@router.get("/me", response_model=MeOut)
async def get_me(principal: Principal = Depends(require(Permission.WORKSPACE_READ))) -> MeOut:
    return MeOut(
        id=principal.user_id,
        workspace_id=principal.workspace_id,
        display_name=principal.display_name,
        role=principal.role.value,
        language=principal.language,
        team_ids=sorted(principal.team_ids),
        permissions=sorted(p.value for p in principal.permissions),
    )
