import type { Schemas } from "@/lib/api/client";

export type Role = Schemas["MemberPublic"]["role"];
export type InviteRole = Schemas["InvitePublic"]["role"];

export const ROLES: Role[] = ["owner", "admin", "member", "child"];

export const roleLabels: Record<Role, string> = { owner: "Owner", admin: "Admin", member: "Member", child: "Child" };

const rank: Record<Role, number> = { child: 0, member: 1, admin: 2, owner: 3 };

export const isAdmin = (role: Role | undefined) => role !== undefined && rank[role] >= rank.admin;

/**
 * Mirrors the server's rule (shared/members.py `_manages`): owners change anyone; admins manage
 * members and children, and may step themselves down, but never grant or touch admin or owner.
 */
function manages(caller: Role, target: Role, isSelf: boolean, next?: Role): boolean {
  if (caller === "owner") return true;
  if (!isAdmin(caller)) return false;
  const steppingDown = isSelf && next !== undefined && rank[next] < rank[caller];
  const touchesAdmins = rank[target] >= rank.admin || (next !== undefined && rank[next] >= rank.admin);
  return steppingDown || !touchesAdmins;
}

/** The roles the caller may give this member, its current one included; one entry means “no choice”. */
export function roleChoices(caller: Role | undefined, target: Role, isSelf: boolean): Role[] {
  if (!caller) return [target];
  const others = ROLES.filter((role) => role !== target && manages(caller, target, isSelf, role));
  return others.length ? ROLES.filter((role) => role === target || others.includes(role)) : [target];
}

/** Whether the caller may remove this member (leaving yourself is done from household settings). */
export function canRemove(caller: Role | undefined, target: Role, isSelf: boolean): boolean {
  return !isSelf && caller !== undefined && manages(caller, target, isSelf);
}

/** Roles an invite may carry: only owners invite admins. */
export function inviteRoles(caller: Role | undefined): InviteRole[] {
  if (caller === "owner") return ["member", "child", "admin"];
  if (caller === "admin") return ["member", "child"];
  return [];
}
