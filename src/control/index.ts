// The control-file language: validate a control file, compile it, read files with it.
// Public surface of src/control/ — other parts import from here only.
import type { CompileEnvironment, CompiledInstructions, Problem, TransformResult } from "./compile.ts";
import { NO_LOOKUPS, type Lookups } from "./filters.ts";
import { userSyncModel, type ModelOptions } from "./model.ts";
import { checkControlText, formatProblem } from "./validate.ts";
import type { ControlFile, FileSpec, Model } from "./types.ts";

export { compileInstructions, type Problem, type TransformResult, type CompiledInstructions } from "./compile.ts";
export { FILTERS, NO_LOOKUPS, type Lookups } from "./filters.ts";
export { DEFAULT_PROFILE_ATTRIBUTES, profileAttributes, USER_SYNC_MODEL, userSyncModel, type ProfileAttribute } from "./model.ts";
export type { DestinationDef, NameDef } from "./types.ts";
export { ProfileDraft, type Attributes } from "./profile-draft.ts";
export { READERS, ReaderError, type ByteSource, type RecordBatch, type Reader, type ReaderLimits } from "./readers/index.ts";
export { describeTelephone, personNameText } from "./values.ts";
export { typedValueText, type DescribeRef } from "./display.ts";
export { controlTemplate, TemplateError, type TemplateOptions } from "./template.ts";
export {
  tryRecords,
  type FinishedRecord,
  type RecordError,
  type TriedFile,
  type TriedRecord,
  type TriedStatus,
  type TryInput,
  type TryOptions,
  type TryResult,
} from "./try-records.ts";
export { checkControl, checkControlText, FEED_NAME, formatProblem } from "./validate.ts";
export type { ControlFile, FileSpec, Model, TypedValue } from "./types.ts";

/** Qualifiers a value may carry (Haplo's QUAL codes); usersync.json can add more. */
export const DEFAULT_QUALIFIERS = [
  "dc:qualifier:alternative",
  "std:qualifier:mobile",
  "std:qualifier:work",
  "std:qualifier:home",
  "std:qualifier:fax",
  "std:qualifier:main",
  "std:qualifier:personal",
  "std:qualifier:business",
];

export interface ControlOptions extends ModelOptions {
  qualifiers?: string[];
  lookups?: Lookups;
}

export function compileEnvironment(options: ControlOptions = {}): CompileEnvironment {
  return {
    model: userSyncModel(options),
    lookups: options.lookups ?? NO_LOOKUPS,
    qualifiers: new Set([...DEFAULT_QUALIFIERS, ...(options.qualifiers ?? [])]),
  };
}

/** A validated, compiled control file, ready to read files and transform records. */
export interface Control {
  text: string;
  /** SHA-256 hex of the text as uploaded: identifies the version. */
  digest: string;
  control: ControlFile;
  model: Model;
  files: Record<string, FileSpec>;
  /** The upload names a run must have: the files' names plus `_control`, sorted (reference §5.3). */
  expectedFiles: string[];
  instructions: CompiledInstructions;
  /** Things that do not stop the file from working but probably do not do what its author meant. */
  warnings: Problem[];
  transform(record: unknown, profileBase?: import("./profile-draft.ts").Attributes | null): TransformResult;
}

export class ControlFileError extends Error {
  constructor(
    readonly problems: Problem[],
    readonly warnings: Problem[] = [],
  ) {
    super(`The control file is not valid:\n${problems.map((p) => `  - ${formatProblem(p)}`).join("\n")}`);
    this.name = "ControlFileError";
  }
}

export function sha256Hex(data: string | Uint8Array): string {
  return new Bun.CryptoHasher("sha256").update(data).digest("hex");
}

export function expectedFilesOf(control: Pick<ControlFile, "files">): string[] {
  return [...Object.keys(control.files), "_control"].sort();
}

/** Validate and compile. Throws ControlFileError listing every problem. */
export function loadControl(text: string, options: ControlOptions = {}): Control {
  const env = compileEnvironment(options);
  const result = checkControlText(text, env);
  if (!result.ok) throw new ControlFileError(result.problems, result.warnings);
  const { control, compiled, warnings } = result;
  return {
    text,
    digest: sha256Hex(text),
    control,
    model: env.model,
    files: control.files,
    expectedFiles: expectedFilesOf(control),
    instructions: compiled,
    warnings,
    transform: compiled.transform,
  };
}
