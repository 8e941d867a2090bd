// usersync.json: validated with clear messages, overridden by the environment.
import { expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, loadConfig } from "../src/config/index.ts";
import { resolveSafetySettings } from "../src/engine/index.ts";

function configFile(content: string): string {
  const dir = mkdtempSync(join(tmpdir(), "usersync-config-"));
  const path = join(dir, "usersync.json");
  writeFileSync(path, content);
  return path;
}

test("defaults, and environment variables override the file", () => {
  const path = configFile(JSON.stringify({ http: { port: 9000 }, groups: [{ code: "staff", managed: true }] }));
  const config = loadConfig(path, { USERSYNC_HTTP_PORT: "0", USERSYNC_LISTEN: "0.0.0.0" });
  expect(config.http.port).toBe(0);
  expect(config.listen).toBe("0.0.0.0");
  expect(config.sftp.port).toBe(2222);
  expect(config.dataDir).toBe(join(path, "..", "data"));
  expect(config.groups).toEqual([{ code: "staff", managed: true }]);
  expect(config.sync).toEqual({ autoApply: true, onRecordError: "keep", blockAfterAbsentRuns: 1, retryAfterSeconds: [10, 60, 300, 900, 3600] });
});

test("every problem is reported with where it is", () => {
  const path = configFile(JSON.stringify({ groups: [{ code: 5 }, { title: "x" }], sync: { onRecordError: "explode" }, colour: "blue" }));
  let error: unknown;
  try {
    loadConfig(path, {});
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ConfigError);
  const problems = (error as ConfigError).problems;
  expect(problems).toContain('(top level): unknown setting "colour"');
  expect(problems).toContain("/groups/0/code: must be string");
  expect(problems).toContain("/groups/1: must have required property 'code'");
  expect(problems).toContain('/sync/onRecordError: must be one of "keep", "block"');
});

test("invalid JSON names the line and column", () => {
  const path = configFile('{\n  "groups": [],\n}');
  expect(() => loadConfig(path, {})).toThrow("Invalid JSON at line 3, column 1");
});

test("a group listed twice is refused", () => {
  const path = configFile(JSON.stringify({ groups: [{ code: "a" }, { code: "a" }] }));
  expect(() => loadConfig(path, {})).toThrow('/groups/1/code: "a" is listed twice');
});

test("a bad port in the environment is refused", () => {
  expect(() => loadConfig(undefined, { USERSYNC_HTTP_PORT: "http" })).toThrow('must be a port number, got "http"');
});

test("safety settings: every problem named with where it is; the defaults fill in what is not given", () => {
  const bad = configFile(
    JSON.stringify({ safety: { blocks: { maxPercent: 150, maxUsers: -1, onTrip: "panic" }, fieldChange: { onTrip: "hold-risky" }, firstRun: { hold: true }, speed: {} } }),
  );
  let error: unknown;
  try {
    loadConfig(bad, {});
  } catch (e) {
    error = e;
  }
  const problems = (error as ConfigError).problems;
  expect(problems).toContain("/safety/blocks/maxPercent: must be <= 100");
  expect(problems).toContain("/safety/blocks/maxUsers: must be >= 0");
  expect(problems).toContain('/safety/blocks/onTrip: must be one of "hold-run", "hold-risky", "warn"');
  expect(problems).toContain('/safety/fieldChange/onTrip: must be one of "hold-run", "warn"');
  expect(problems).toContain('/safety/firstRun: unknown setting "hold"');
  expect(problems).toContain('/safety: unknown setting "speed"');

  const good = loadConfig(configFile(JSON.stringify({ safety: { blocks: { maxUsers: 50, onTrip: "hold-risky" }, errors: { enabled: false } } })), {});
  const settings = resolveSafetySettings(good.safety);
  expect(settings.blocks).toEqual({ enabled: true, maxUsers: 50, maxPercent: 10, onTrip: "hold-risky" });
  expect(settings.errors.enabled).toBe(false);
  expect(settings.firstRun).toEqual({ enabled: true });
  expect(settings.fileChange).toEqual({ enabled: true, maxPercent: 10, onTrip: "hold-run" });
});
