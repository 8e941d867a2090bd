// usersync.json: read, validated against schema/config.schema.json (ajv), then overridden by
// environment variables (for containers and tests), then filled with defaults.
import Ajv from "ajv";
import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import configSchema from "../../schema/config.schema.json";
import { checkStaleFeedSettings } from "../notify/stale.ts";
import { parseJsonWithPosition } from "../util/json.ts";

export interface GroupConfig {
  code: string;
  title?: string;
  managed?: boolean;
  profileType?: string;
  pastProfileType?: string;
}

export interface ProfileAttributeConfig {
  code: string;
  type: string;
  description?: string;
  refTypes?: string[];
}

export interface SftpAccountConfig {
  name: string;
  publicKeys?: string[];
  passwordHash?: string;
  disabled?: boolean;
}

/** usersync.json `safety` as written (every part optional); src/engine/safety.ts fills in the defaults. */
export type SafetyConfig = {
  firstRun?: { enabled?: boolean };
  emptyFeed?: { enabled?: boolean; onTrip?: "hold-run" | "hold-risky" | "warn" };
  blocks?: { enabled?: boolean; maxUsers?: number; maxPercent?: number; onTrip?: "hold-run" | "hold-risky" | "warn" };
  fileChange?: { enabled?: boolean; maxPercent?: number; onTrip?: "hold-run" | "hold-risky" | "warn" };
  schemaDrift?: { enabled?: boolean; onTrip?: "hold-run" | "warn" };
  fieldChange?: { enabled?: boolean; maxPercent?: number; minUsers?: number; fields?: string[]; onTrip?: "hold-run" | "warn" };
  errors?: { enabled?: boolean; maxPercent?: number; minRecords?: number; onTrip?: "hold-run" | "hold-risky" | "warn" };
  duplicates?: { enabled?: boolean; maxPercent?: number; minRecords?: number; onTrip?: "hold-run" | "hold-risky" | "warn" };
};

/** Where a secret comes from (an environment variable or a file), never the secret itself. */
export type SecretRef = { env: string } | { file: string };

/** usersync.json `notifications` (src/notify). */
export interface NotificationsConfig {
  hostname?: string;
  uiUrl?: string;
  events?: ("run-finished" | "run-held" | "stale-feed")[];
  email?: {
    to: string[];
    from: string;
    smtp: { host: string; port?: number; secure?: boolean; requireTLS?: boolean; user?: string; password?: SecretRef; timeoutMs?: number };
  };
  webhooks?: { url: string; format?: "form" | "json"; user?: string; token?: SecretRef; timeoutMs?: number }[];
  staleFeed?: { expectBy: string; timezone?: string };
}

/** usersync.json `retention` (src/ops/retention.ts): absent settings keep history forever. */
export interface RetentionConfig {
  batchFilesDays?: number;
  receivedRecordsDays?: number;
  runLogDays?: number;
}

export interface FileConfig {
  dataDir?: string;
  databaseUrl?: string;
  filesDir?: string;
  listen?: string;
  http?: { enabled?: boolean; port?: number; maxUploadBytes?: number; trustProxy?: boolean };
  sftp?: { enabled?: boolean; port?: number; maxFileBytes?: number; accounts?: SftpAccountConfig[] };
  watch?: { dir?: string; stabilityMs?: number };
  loginThrottle?: { maxFailures?: number; windowSeconds?: number; blockSeconds?: number };
  groups?: GroupConfig[];
  profile?: { defaultType?: string; attributes?: ProfileAttributeConfig[]; qualifiers?: string[] };
  userTags?: string[];
  sync?: { autoApply?: boolean; onRecordError?: "keep" | "block"; blockAfterAbsentRuns?: number; retryAfterSeconds?: number[] };
  safety?: SafetyConfig;
  notifications?: NotificationsConfig;
  retention?: RetentionConfig;
  log?: { level?: "debug" | "info" | "warn" | "error" };
}

/**
 * When the daemon tries again a run the database failed (daemon/worker.ts): 10 s, 1 min, 5 min,
 * 15 min, 1 h — a restart or a failover is over by the first, a full disk has an hour to be seen to.
 */
export const DEFAULT_RETRY_AFTER_SECONDS = [10, 60, 300, 900, 3600];

export interface Config {
  /** The file this came from, or null when none was found (all defaults). */
  source: string | null;
  dataDir: string;
  databaseUrl: string | null;
  filesDir: string;
  listen: string;
  http: { enabled: boolean; port: number; maxUploadBytes: number; trustProxy: boolean };
  sftp: { enabled: boolean; port: number; maxFileBytes: number; accounts: SftpAccountConfig[] };
  watch: { dir: string | null; stabilityMs: number };
  loginThrottle: { maxFailures: number; windowSeconds: number; blockSeconds: number };
  groups: GroupConfig[];
  profile: { defaultType: string; attributes: ProfileAttributeConfig[]; qualifiers: string[] };
  userTags: string[];
  sync: { autoApply: boolean; onRecordError: "keep" | "block"; blockAfterAbsentRuns: number; retryAfterSeconds: number[] };
  safety: SafetyConfig;
  notifications: NotificationsConfig;
  retention: RetentionConfig;
  log: { level: "debug" | "info" | "warn" | "error" };
}

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file} is not a valid usersync configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

const ajv = new Ajv({ allErrors: true, strict: false });
const validateConfig = ajv.compile<FileConfig>(configSchema);

/** Validate a configuration object; returns readable problems ("/groups/0/code: must be string"). */
export function checkConfig(value: unknown): string[] {
  if (validateConfig(value)) return [];
  return (validateConfig.errors ?? []).map((e) => {
    const where = e.instancePath || "(top level)";
    if (e.keyword === "additionalProperties") return `${where}: unknown setting "${(e.params as { additionalProperty: string }).additionalProperty}"`;
    if (e.keyword === "enum") return `${where}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(", ")}`;
    return `${where}: ${e.message}`;
  });
}

function envInt(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const value = env[name];
  if (value === undefined || value === "") return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ConfigError(`environment variable ${name}`, [`must be a port number, got "${value}"`]);
  return n;
}

/** Find the configuration file: --config, then USERSYNC_CONFIG, then ./usersync.json if present. */
export function findConfigFile(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): string | null {
  const path = explicit ?? env.USERSYNC_CONFIG;
  if (path) {
    if (!existsSync(path)) throw new ConfigError(path, ["file not found"]);
    return resolve(path);
  }
  return existsSync("usersync.json") ? resolve("usersync.json") : null;
}

export function loadConfig(explicit?: string, env: NodeJS.ProcessEnv = process.env): Config {
  const source = findConfigFile(explicit, env);
  let file: FileConfig = {};
  if (source) {
    const parsed = parseJsonWithPosition(readFileSync(source, "utf8"));
    if (!parsed.ok) throw new ConfigError(source, [parsed.error]);
    const problems = checkConfig(parsed.value);
    if (problems.length) throw new ConfigError(source, problems);
    file = parsed.value as FileConfig;
  }
  return resolveConfig(file, source, env);
}

export function resolveConfig(file: FileConfig, source: string | null, env: NodeJS.ProcessEnv = process.env): Config {
  const base = source ? dirname(source) : process.cwd();
  const dataDir = resolve(base, env.USERSYNC_DATA || file.dataDir || "data");
  const watchDir = env.USERSYNC_WATCH_DIR || file.watch?.dir;
  const problems = [...checkGroups(file.groups ?? []), ...checkStaleFeedSettings(file.notifications?.staleFeed)];
  if (problems.length) throw new ConfigError(source ?? "configuration", problems);
  return {
    source,
    dataDir,
    databaseUrl: env.DATABASE_URL || file.databaseUrl || null,
    filesDir: resolve(base, env.USERSYNC_FILES_DIR || file.filesDir || `${dataDir}/files`),
    listen: env.USERSYNC_LISTEN || file.listen || "127.0.0.1",
    http: {
      enabled: file.http?.enabled ?? true,
      port: envInt(env, "USERSYNC_HTTP_PORT") ?? file.http?.port ?? 8080,
      maxUploadBytes: file.http?.maxUploadBytes ?? 2 * 1024 ** 3,
      trustProxy: file.http?.trustProxy ?? false,
    },
    sftp: {
      enabled: file.sftp?.enabled ?? true,
      port: envInt(env, "USERSYNC_SFTP_PORT") ?? file.sftp?.port ?? 2222,
      maxFileBytes: file.sftp?.maxFileBytes ?? 2 * 1024 ** 3,
      accounts: file.sftp?.accounts ?? [],
    },
    watch: { dir: watchDir ? resolve(base, watchDir) : null, stabilityMs: file.watch?.stabilityMs ?? 1000 },
    loginThrottle: {
      maxFailures: file.loginThrottle?.maxFailures ?? 10,
      windowSeconds: file.loginThrottle?.windowSeconds ?? 300,
      blockSeconds: file.loginThrottle?.blockSeconds ?? 300,
    },
    groups: file.groups ?? [],
    profile: {
      defaultType: file.profile?.defaultType ?? "std:type:person",
      attributes: file.profile?.attributes ?? [],
      qualifiers: file.profile?.qualifiers ?? [],
    },
    userTags: file.userTags ?? [],
    sync: {
      autoApply: file.sync?.autoApply ?? true,
      onRecordError: file.sync?.onRecordError ?? "keep",
      blockAfterAbsentRuns: file.sync?.blockAfterAbsentRuns ?? 1,
      retryAfterSeconds: file.sync?.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS,
    },
    safety: file.safety ?? {},
    notifications: file.notifications ?? {},
    retention: file.retention ?? {},
    log: { level: (env.USERSYNC_LOG_LEVEL as Config["log"]["level"]) || file.log?.level || "info" },
  };
}

/** Checks the schema cannot express: unique codes, and profile types on managed groups. */
export function checkGroups(groups: GroupConfig[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  groups.forEach((group, i) => {
    if (seen.has(group.code)) problems.push(`/groups/${i}/code: "${group.code}" is listed twice`);
    seen.add(group.code);
    if (group.pastProfileType && !group.profileType)
      problems.push(`/groups/${i}: pastProfileType is set but profileType is not (the past type is used once a member is blocked)`);
  });
  return problems;
}

/** The engine's settings from a configuration. */
export function engineSettings(config: Config) {
  return {
    defaultType: config.profile.defaultType,
    profileAttributes: config.profile.attributes,
    userTags: config.userTags,
    qualifiers: config.profile.qualifiers,
    onRecordError: config.sync.onRecordError,
    blockAfterAbsentRuns: config.sync.blockAfterAbsentRuns,
  };
}
