// The SFTP jail: client paths map inside the home, and nothing leads out of it.
import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Jail, JailError } from "../../src/intake/sftp/jail.ts";

const root = mkdtempSync(join(tmpdir(), "usersync-jail-"));
const home = join(root, "home");
const outside = join(root, "outside");
mkdirSync(join(home, "sub"), { recursive: true });
mkdirSync(outside);
symlinkSync(outside, join(home, "out"));
symlinkSync(join(outside, "missing"), join(home, "dangling"));
symlinkSync(join(home, "sub"), join(home, "inside-link"));
const jail = new Jail(home);
afterAll(() => rmSync(root, { recursive: true, force: true }));

test("relative, absolute and .. paths all stay under the home", () => {
  expect(jail.resolve("staff.json")).toBe(join(jail.realHome, "staff.json"));
  expect(jail.resolve("/etc/passwd")).toBe(join(jail.realHome, "etc/passwd"));
  expect(jail.resolve("../../../../etc/passwd")).toBe(join(jail.realHome, "etc/passwd"));
  expect(jail.resolve("sub/../../x")).toBe(join(jail.realHome, "x"));
  expect(jail.virtual("a/b/../c/")).toBe("/a/c");
  expect(jail.toVirtual(join(jail.realHome, "sub", "f"))).toBe("/sub/f");
});

test("a symlink out of the home is refused, for existing and new files alike", () => {
  expect(() => jail.resolve("out")).toThrow(JailError);
  expect(() => jail.resolve("out/secret.txt")).toThrow(JailError);
  expect(() => jail.resolve("out/new/deeper.json")).toThrow(JailError);
  expect(() => jail.resolve("dangling")).toThrow(JailError);
});

test("a symlink that stays inside the home is fine; a NUL byte is not", () => {
  expect(jail.resolve("inside-link/f.json")).toBe(join(jail.realHome, "inside-link", "f.json"));
  expect(() => jail.resolve("a\0b")).toThrow(JailError);
});
