from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import text

from shared.db import session_scope
from tests.plugin import FirebaseUser, MakeUser
from tests.utils import add_member, assert_problem, create_household, me, wait_for_lock_waiters


async def _roles(client: httpx.AsyncClient, user: FirebaseUser, household_id: str) -> dict[str, str]:
    response = await client.get(f"/api/households/{household_id}/members", headers=user.headers())
    assert response.status_code == 200, response.text
    return {member["display_name"]: member["role"] for member in response.json()["data"]}


async def test_list_members_shows_roles_owner_first(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    owner, kid = make_user("owner"), make_user("kid")
    household = await create_household(client, owner)
    await add_member(client, owner, household["id"], kid, role="child")
    response = await client.get(f"/api/households/{household['id']}/members", headers=kid.headers())
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [m["role"] for m in body["data"]] == ["owner", "child"]
    assert body["data"][0]["email"] == owner.email


async def test_update_member_promotes_and_demotes(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    owner, member = make_user("owner"), make_user("member")
    household = await create_household(client, owner)
    await add_member(client, owner, household["id"], member)
    member_id = (await me(client, member))["id"]
    url = f"/api/households/{household['id']}/members/{member_id}"
    response = await client.patch(url, headers=owner.headers(), json={"role": "admin"})
    assert response.status_code == 200, response.text
    assert response.json()["role"] == "admin"
    response = await client.patch(url, headers=owner.headers(), json={"role": "child"})
    assert response.json()["role"] == "child"
    assert_problem(await client.patch(url, headers=owner.headers(), json={"role": "king"}), 422)


async def test_update_member_only_owner_grants_ownership(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner, admin, member = make_user("owner"), make_user("admin"), make_user("member")
    household = await create_household(client, owner)
    await add_member(client, owner, household["id"], admin, role="admin")
    await add_member(client, owner, household["id"], member)
    member_id = (await me(client, member))["id"]
    owner_id = (await me(client, owner))["id"]
    base = f"/api/households/{household['id']}/members"
    response = await client.patch(f"{base}/{member_id}", headers=admin.headers(), json={"role": "owner"})
    assert_problem(response, 403, "owner-required")
    response = await client.patch(f"{base}/{owner_id}", headers=admin.headers(), json={"role": "member"})
    assert_problem(response, 403, "owner-required")
    response = await client.patch(f"{base}/{member_id}", headers=admin.headers(), json={"role": "child"})
    assert response.status_code == 200
    response = await client.patch(f"{base}/{member_id}", headers=member.headers(), json={"role": "admin"})
    assert_problem(response, 403, "role-required")


async def test_update_member_never_leaves_household_without_owner(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner, other = make_user("owner"), make_user("other")
    household = await create_household(client, owner)
    await add_member(client, owner, household["id"], other)
    owner_id = (await me(client, owner))["id"]
    other_id = (await me(client, other))["id"]
    base = f"/api/households/{household['id']}/members"
    response = await client.patch(f"{base}/{owner_id}", headers=owner.headers(), json={"role": "admin"})
    assert_problem(response, 409, "last-owner")
    assert (await _roles(client, owner, household["id"]))[owner.email.split("@")[0]] == "owner"
    # Hand over first, then stepping down works.
    response = await client.patch(f"{base}/{other_id}", headers=owner.headers(), json={"role": "owner"})
    assert response.status_code == 200
    response = await client.patch(f"{base}/{owner_id}", headers=owner.headers(), json={"role": "admin"})
    assert response.status_code == 200, response.text
    assert sorted((await _roles(client, owner, household["id"])).values()) == ["admin", "owner"]


async def test_update_member_of_unknown_user_is_404(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    owner, stranger = make_user("owner"), make_user("stranger")
    household = await create_household(client, owner)
    stranger_id = (await me(client, stranger))["id"]
    response = await client.patch(
        f"/api/households/{household['id']}/members/{stranger_id}",
        headers=owner.headers(),
        json={"role": "admin"},
    )
    assert_problem(response, 404, "member-not-found")


async def test_remove_member_by_admin_and_limits(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    owner, admin, member = make_user("owner"), make_user("admin"), make_user("member")
    household = await create_household(client, owner)
    await add_member(client, owner, household["id"], admin, role="admin")
    await add_member(client, owner, household["id"], member)
    ids = {
        name: (await me(client, user))["id"]
        for name, user in [("owner", owner), ("admin", admin), ("member", member)]
    }
    base = f"/api/households/{household['id']}/members"
    assert_problem(
        await client.delete(f"{base}/{ids['owner']}", headers=admin.headers()), 403, "owner-required"
    )
    assert_problem(
        await client.delete(f"{base}/{ids['admin']}", headers=member.headers()), 403, "role-required"
    )
    response = await client.delete(f"{base}/{ids['member']}", headers=admin.headers())
    assert response.status_code == 204, response.text
    # A removed member loses access at once.
    gone = await client.get(f"/api/households/{household['id']}", headers=member.headers())
    assert_problem(gone, 404)
    assert_problem(await client.delete(f"{base}/{ids['member']}", headers=admin.headers()), 404)
    response = await client.delete(f"{base}/{ids['admin']}", headers=owner.headers())
    assert response.status_code == 204


async def test_leave_household_member_and_last_owner(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    owner, member = make_user("owner"), make_user("member")
    household = await create_household(client, owner)
    leave = f"/api/households/{household['id']}/leave"
    assert_problem(await client.post(leave, headers=owner.headers()), 409, "last-owner")
    await add_member(client, owner, household["id"], member)
    assert_problem(await client.post(leave, headers=owner.headers()), 409, "last-owner")
    response = await client.post(leave, headers=member.headers())
    assert response.status_code == 204
    assert (await client.get("/api/households", headers=member.headers())).json()["count"] == 0
    assert_problem(await client.post(leave, headers=member.headers()), 404)


async def test_update_member_admins_manage_members_not_admins(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner, admin, other_admin, kid = (
        make_user("owner"),
        make_user("admin"),
        make_user("admin2"),
        make_user("kid"),
    )
    household = await create_household(client, owner)
    await add_member(client, owner, household["id"], admin, role="admin")
    await add_member(client, owner, household["id"], other_admin, role="admin")
    await add_member(client, owner, household["id"], kid, role="child")
    ids = {
        name: (await me(client, u))["id"]
        for name, u in [("admin", admin), ("other", other_admin), ("kid", kid)]
    }
    base = f"/api/households/{household['id']}/members"
    # Not another admin: no demoting (then removing) them, no promoting anyone to admin.
    response = await client.patch(f"{base}/{ids['other']}", headers=admin.headers(), json={"role": "child"})
    assert_problem(response, 403, "owner-required")
    assert_problem(
        await client.delete(f"{base}/{ids['other']}", headers=admin.headers()), 403, "owner-required"
    )
    response = await client.patch(f"{base}/{ids['kid']}", headers=admin.headers(), json={"role": "admin"})
    assert_problem(response, 403, "owner-required")
    # Members and children, yes; and an admin may step down.
    response = await client.patch(f"{base}/{ids['kid']}", headers=admin.headers(), json={"role": "member"})
    assert response.status_code == 200
    response = await client.patch(f"{base}/{ids['admin']}", headers=admin.headers(), json={"role": "member"})
    assert response.status_code == 200
    roles = await _roles(client, owner, household["id"])
    assert sorted(roles.values()) == ["admin", "member", "member", "owner"]


async def test_create_invite_for_admins_needs_an_owner(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    owner, admin = make_user("owner"), make_user("admin")
    household = await create_household(client, owner)
    await add_member(client, owner, household["id"], admin, role="admin")
    url = f"/api/households/{household['id']}/invites"
    assert_problem(
        await client.post(url, headers=admin.headers(), json={"role": "admin"}), 403, "owner-required"
    )
    assert (await client.post(url, headers=admin.headers(), json={"role": "member"})).status_code == 201
    assert (await client.post(url, headers=owner.headers(), json={"role": "admin"})).status_code == 201


async def test_leave_household_rechecks_role_after_waiting_for_the_lock(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    """B (admin) asks to leave while the owner hands B the household: B is then the last owner."""
    owner, b = make_user("owner"), make_user("b")
    household = await create_household(client, owner)
    await add_member(client, owner, household["id"], b, role="admin")
    owner_id, b_id = (await me(client, owner))["id"], (await me(client, b))["id"]
    async with session_scope() as blocker:
        await blocker.execute(
            text("SELECT id FROM households WHERE id = :id FOR UPDATE"), {"id": household["id"]}
        )
        leaving = asyncio.create_task(
            client.post(f"/api/households/{household['id']}/leave", headers=b.headers())
        )
        await wait_for_lock_waiters()
        await blocker.execute(
            text(
                "UPDATE memberships SET role = CASE WHEN user_id = :b THEN 'owner' ELSE 'admin' END "
                "WHERE household_id = :h"
            ),
            {"b": b_id, "h": household["id"], "o": owner_id},
        )
        await blocker.commit()
        response = await leaving
    assert_problem(response, 409, "last-owner")
    assert sorted((await _roles(client, owner, household["id"])).values()) == ["admin", "owner"]
