// One record's run through the compiled instructions: the targets it fills (the user dictionary,
// the other dictionaries, the profile draft), its errors, and the end-of-record checks that decide
// whether it is complete (reference §3.3).
import { ProfileDraft, type Attributes } from "./profile-draft.ts";
import { textOf } from "./text.ts";
import type { Model } from "./types.ts";
import type { Report } from "./values.ts";

export interface TransformResult {
  /** false when the record was aborted or misses required values: it must not be applied. */
  complete: boolean;
  /** Problems with this record, in order (without the record identifier). */
  errors: string[];
  /** The `user` destination: username, title, nameFirst, nameLast, email, groups. */
  user: Record<string, unknown>;
  /** The `user:tags` destination as strings, or null when no tag was set. */
  tags: Record<string, string> | null;
  profile: ProfileDraft;
}

/** Per-record state while the instructions run. */
export class RecordRun {
  readonly user: Record<string, unknown> = {};
  readonly dictionaries = new Map<string, Record<string, unknown>>();
  readonly errors: string[] = [];
  aborted = false;
  constructor(readonly profile: ProfileDraft) {
    this.dictionaries.set("user", this.user);
  }
  readonly report: Report = (message) => {
    this.errors.push(message);
  };
  dictionary(name: string): Record<string, unknown> {
    let d = this.dictionaries.get(name);
    if (!d) this.dictionaries.set(name, (d = {}));
    return d;
  }
}

/** One compiled instruction. */
export type Step = (run: RecordRun, context: unknown) => void;

/** Runs instructions in order; an aborted record stops at once. */
export function runList(steps: Step[], run: RecordRun, context: unknown) {
  for (let i = 0; i < steps.length && !run.aborted; i++) steps[i]!(run, context);
}

/** The function that runs one record through the compiled steps and checks what it made. */
export function recordTransform(model: Model, steps: Step[]): (record: unknown, profileBase?: Attributes | null) => TransformResult {
  // End-of-record checks (reference §3.3): every non-pseudo dictionary that has a target or is required.
  const endChecks = [...model.destinations.values()]
    .filter((d) => !d.pseudo && d.kind === "dictionary")
    .map((d) => ({
      name: d.name,
      optional: d.optional,
      // Haplo sorts the names in its "Missing values" message.
      required: [...d.names.values()].filter((n) => n.required).map((n) => n.name).sort(),
    }));
  const tagsDestination = model.destinations.get("user:tags");

  return (record: unknown, profileBase?: Attributes | null): TransformResult => {
    const run = new RecordRun(new ProfileDraft(profileBase));
    runList(steps, run, record);
    let complete = !run.aborted;
    if (complete) {
      for (const dest of endChecks) {
        const data = run.dictionaries.get(dest.name);
        if (!data) {
          if (!dest.optional) {
            run.report(`No data set in required destination ${dest.name}`);
            complete = false;
          }
          continue;
        }
        const missing = dest.required.filter((name) => {
          const v = data[name];
          return v === undefined || (Array.isArray(v) && v.length === 0);
        });
        if (missing.length) {
          run.report(`Missing values in ${dest.name}: ${missing.join(", ")}`);
          complete = false;
        }
      }
    }
    let tags: Record<string, string> | null = null;
    const tagData = tagsDestination && run.dictionaries.get(tagsDestination.name);
    if (tagData && Object.keys(tagData).length) {
      tags = {};
      for (const [k, v] of Object.entries(tagData)) if (v !== undefined && v !== null) tags[k] = textOf(v);
    }
    return { complete, errors: run.errors, user: run.user, tags, profile: run.profile };
  };
}
