import { describe, expect, it } from "vitest";

import { canRemove, inviteRoles, roleChoices } from "./roles";

describe("who may change which role", () => {
  it("lets an owner give anyone any role", () => {
    expect(roleChoices("owner", "member", false)).toEqual(["owner", "admin", "member", "child"]);
    expect(roleChoices("owner", "owner", true)).toEqual(["owner", "admin", "member", "child"]);
  });

  it("lets an admin move members and children between those two roles only", () => {
    expect(roleChoices("admin", "member", false)).toEqual(["member", "child"]);
    expect(roleChoices("admin", "child", false)).toEqual(["member", "child"]);
  });

  it("keeps admins away from other admins and owners, but lets them step down", () => {
    expect(roleChoices("admin", "admin", false)).toEqual(["admin"]);
    expect(roleChoices("admin", "owner", false)).toEqual(["owner"]);
    expect(roleChoices("admin", "admin", true)).toEqual(["admin", "member", "child"]);
  });

  it("gives members and children no choice at all", () => {
    expect(roleChoices("member", "child", false)).toEqual(["child"]);
    expect(roleChoices("child", "child", true)).toEqual(["child"]);
    expect(roleChoices(undefined, "member", false)).toEqual(["member"]);
  });

  it("matches removal to the same rule, never offering to remove yourself", () => {
    expect(canRemove("owner", "admin", false)).toBe(true);
    expect(canRemove("admin", "member", false)).toBe(true);
    expect(canRemove("admin", "admin", false)).toBe(false);
    expect(canRemove("member", "child", false)).toBe(false);
    expect(canRemove("owner", "owner", true)).toBe(false);
  });

  it("lets only owners invite admins", () => {
    expect(inviteRoles("owner")).toContain("admin");
    expect(inviteRoles("admin")).toEqual(["member", "child"]);
    expect(inviteRoles("member")).toEqual([]);
  });
});
