// The login throttle shared by SFTP and HTTP.
import { expect, test } from "bun:test";
import { LoginThrottle } from "../../src/intake/throttle.ts";

test("blocks an address after maxFailures within the window, until it has been quiet for blockMs", () => {
  let now = 0;
  const throttle = new LoginThrottle({ maxFailures: 3, windowMs: 60_000, blockMs: 120_000 }, () => now);
  expect(throttle.fail("10.0.0.1")).toBe(false);
  expect(throttle.fail("10.0.0.1")).toBe(false);
  expect(throttle.isBlocked("10.0.0.1")).toBe(false);
  expect(throttle.fail("10.0.0.1")).toBe(true);
  expect(throttle.isBlocked("10.0.0.1")).toBe(true);
  expect(throttle.isBlocked("10.0.0.2")).toBe(false);
  now += 119_000;
  expect(throttle.isBlocked("10.0.0.1")).toBe(true);
  now += 2_000;
  expect(throttle.isBlocked("10.0.0.1")).toBe(false);
});

test("failures older than the window are forgotten, and a success clears the count", () => {
  let now = 0;
  const throttle = new LoginThrottle({ maxFailures: 3, windowMs: 60_000, blockMs: 120_000 }, () => now);
  throttle.fail("a");
  throttle.fail("a");
  now += 61_000;
  expect(throttle.fail("a")).toBe(false);
  throttle.fail("a");
  throttle.succeed("a");
  expect(throttle.fail("a")).toBe(false);
});
