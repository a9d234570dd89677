import { describe, expect, it } from "vitest";

import { safeNext } from "./require-auth";

const origin = "https://chorus.example";

describe("safeNext", () => {
  it("follows paths on this site", () => {
    expect(safeNext("/join/ABCDE-12345", origin)).toBe("/join/ABCDE-12345");
    expect(safeNext("/h/1/board?x=1#y", origin)).toBe("/h/1/board?x=1#y");
  });

  it.each([null, "", "https://evil.example/", "//evil.example", "/\\evil.example", "/\t/evil.example", "javascript:alert(1)"])(
    "refuses %j",
    (next) => {
      expect(safeNext(next, origin)).toBe("/");
    },
  );
});
