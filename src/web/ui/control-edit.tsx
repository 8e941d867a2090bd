/** @jsxImportSource hono/jsx */
// Changing the control file from the UI (admin only, CSRF like every post): upload a new version —
// validated exactly as a feed's `_control` upload is (loadControl), stored and made current by the
// same functions (saveControlVersion, setCurrentControl), audited with its digest — and "try it":
// a sample of one of its files read through tryRecords, as `usersync check` does.
import type { Hono } from "hono";
import { audit, saveControlVersion, setCurrentControl } from "../../batch/index.ts";
import { currentRun } from "../../batch/uploads.ts";
import { checkEnvironmentWith, normaliseUsername } from "../../cli/check-environment.ts";
import { titleMappingTypes } from "../../engine/index.ts";
import { readOverrides, withOverrides } from "../../config/overrides.ts";
import { ControlFileError, loadControl, tryRecords, typedValueText, type Control, type Problem, type RecordError, type TriedRecord } from "../../control/index.ts";
import type { TryRecordView } from "../../../views/control-edit.tsx";
import { parseJsonWithPosition } from "../../util/json.ts";
import { viewerOf, type UiDeps, type UiEnv } from "./context.ts";
import { CONTROL_FORM_MAX_BYTES, renderControlPage, TRY_LIMIT, TRY_SAMPLE_MAX_BYTES, type ControlPageState } from "./control.tsx";
import { currentControlId, getControlVersion } from "./data/control.ts";
import { effectiveSettings } from "./effective.ts";
import { redirectWithFlash } from "./flash.ts";
import { bytes, sizeLimit } from "../../../views/format.ts";

const problemView = (p: Problem) => ({ path: p.path, message: p.message });

/** A posted file's text: UTF-8 only (a byte-order mark dropped); null when it is not UTF-8. */
export async function utf8Text(file: File): Promise<string | null> {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(await file.arrayBuffer());
  } catch {
    return null;
  }
}

/** A form field's text: a textarea posts CRLF line ends, stored as LF. */
export function pastedText(value: unknown): string {
  return typeof value === "string" ? value.replace(/\r\n/g, "\n") : "";
}

/** Where the JSON broke, with that line's text, or null when it parses. */
function jsonErrorAt(text: string): { line: number; column: number; text: string } | null {
  const parsed = parseJsonWithPosition(text);
  if (parsed.ok) return null;
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  return { line: parsed.line, column: parsed.column, text: body.split("\n")[parsed.line - 1] ?? "" };
}

export function registerControlEdit(app: Hono<UiEnv>, deps: UiDeps): void {
  const { db } = deps.store;

  app.post("/control/upload", async (c) => {
    const body = await c.req.parseBody();
    const file = body.file instanceof File && body.file.size > 0 ? body.file : null;
    const comment = (typeof body.comment === "string" ? body.comment : "").trim().slice(0, 500);
    const refuse = (refusal: string, text: string, status: 400 | 413 = 400) =>
      renderControlPage(c, deps, { upload: { text, comment, refusal, problems: [], warnings: [] } }, status);

    let text = pastedText(body.text);
    if (file) {
      if (file.size > CONTROL_FORM_MAX_BYTES)
        return refuse(`${file.name} is ${bytes(file.size)}: more than the ${sizeLimit(CONTROL_FORM_MAX_BYTES)} a control file may be here. Nothing was saved.`, "", 413);
      const read = await utf8Text(file);
      if (read === null) return refuse(`${file.name} is not UTF-8 text: a control file is JSON, in UTF-8. Nothing was saved.`, "");
      text = read;
    }
    if (new TextEncoder().encode(text).length > CONTROL_FORM_MAX_BYTES)
      return refuse(`The text is more than the ${sizeLimit(CONTROL_FORM_MAX_BYTES)} a control file may be here. Nothing was saved.`, "", 413);
    if (!text.trim()) return refuse("Choose a control file, or paste its text.", text);

    const { settings } = await effectiveSettings(deps);
    let control: Control;
    try {
      control = loadControl(text, settings);
    } catch (error) {
      if (!(error instanceof ControlFileError)) throw error;
      return renderControlPage(
        c,
        deps,
        { upload: { text, comment, problems: error.problems.map(problemView), warnings: error.warnings.map(problemView), jsonAt: jsonErrorAt(text) } },
        400,
      );
    }

    const by = viewerOf(c).username;
    const previous = await currentControlId(db);
    const { id, existed } = await db.transaction(async (tx) => {
      const [before] = await tx.query<{ id: number }>("SELECT id FROM control_files WHERE digest = $1 LIMIT 1", [control.digest]);
      const id = await saveControlVersion(tx, control, { comment: comment || "uploaded in the web UI", by });
      await setCurrentControl(tx, id, by);
      return { id, existed: !!before };
    });
    if (previous === id) return redirectWithFlash(c, "/control", "info", `Version ${id} is already the current control file: nothing changed.`);
    await audit(db, {
      actor: by,
      action: "control-file-uploaded",
      target: `control ${id}`,
      detail: {
        version: id,
        previous,
        digest: control.digest,
        size: new TextEncoder().encode(text).length,
        filename: file?.name ?? null,
        sameAsEarlierVersion: existed,
        warnings: control.warnings.length,
        via: "ui",
      },
    });
    const open = await currentRun(db);
    const openNote =
      open && open.control_file_id !== null && Number(open.control_file_id) !== id
        ? ` Run ${open.id} (${open.status}) keeps the version it started with (${open.control_file_id}); to use the new one in that run, upload its _control again or cancel it.`
        : "";
    const warned = control.warnings.length
      ? ` ${control.warnings.length} warning(s): ${control.warnings.map((w) => (w.path ? `${w.path}: ${w.message}` : w.message)).join("; ")}`
      : "";
    return redirectWithFlash(
      c,
      "/control",
      control.warnings.length ? "warn" : "ok",
      `Control file version ${id} is now current${existed ? " (the same text as an earlier version, made current again)" : ""}: new runs use it.${openNote}${warned}`,
    );
  });

  // "Try it": nothing is stored and no user changes; the sample is read from the post, bounded.
  app.post("/control/try", async (c) => {
    const body = await c.req.parseBody();
    const name = typeof body.name === "string" ? body.name : "";
    const controlText = pastedText(body.control);
    const sample = body.sample instanceof File && body.sample.size > 0 ? body.sample : null;
    const show = (trial: Partial<NonNullable<ControlPageState["trial"]>>, status: 200 | 400 | 413 = 400) =>
      renderControlPage(c, deps, { trial: { name, controlText, problems: [], ...trial } }, status);

    const config = withOverrides(deps.config, await readOverrides(db));
    const environment = await checkEnvironmentWith(deps.store, config, { source: "this daemon’s database" });
    const { settings } = await effectiveSettings(deps);
    const options = { ...settings, lookups: environment.lookups };
    let control: Control;
    let against: string;
    if (controlText.trim()) {
      if (new TextEncoder().encode(controlText).length > CONTROL_FORM_MAX_BYTES)
        return show({ refusal: `The pasted control file is more than ${sizeLimit(CONTROL_FORM_MAX_BYTES)}.` }, 413);
      try {
        control = loadControl(controlText, options);
      } catch (error) {
        if (!(error instanceof ControlFileError)) throw error;
        return show({ problems: error.problems.map(problemView), names: name ? [name] : [] });
      }
      against = "the pasted control file (not saved)";
    } else {
      const id = await currentControlId(db);
      const current = id ? await getControlVersion(db, id) : null;
      if (!current) return show({ refusal: "There is no current control file: paste one to try." });
      control = loadControl(current.content, options);
      against = `the current control file (version ${current.id})`;
    }
    const names = Object.keys(control.files);
    if (!names.includes(name))
      return show({ names, name: names[0] ?? "", refusal: `The control file does not read a file named “${name}”; it reads ${names.join(", ")}. Choose one.` });
    if (!sample) return show({ names, refusal: `Choose a sample of ${name} to try.` });
    if (sample.size > TRY_SAMPLE_MAX_BYTES)
      return show({ names, refusal: `${sample.name} is ${bytes(sample.size)}: more than the ${sizeLimit(TRY_SAMPLE_MAX_BYTES)} a sample may be. Try its first records.` }, 413);

    await environment.prepare(control.instructions.needs, titleMappingTypes(control));
    const result = await tryRecords(control, [{ name, source: sample.name, spec: control.files[name]!, open: () => sample.stream() }], {
      limit: TRY_LIMIT,
      maxErrors: 20,
      normaliseUsername,
      finish: environment.finish,
    });
    const file = result.files[0]!;
    const ids = file.shown.flatMap((r) =>
      Object.values(r.finished?.profile?.attributes ?? r.profile).flatMap((vs) => vs.filter((v) => v.t === "ref" && typeof v.v === "number").map((v) => v.v as number)),
    );
    const describe = await environment.describeRefs(ids);
    return show(
      {
        names,
        result: {
          name,
          filename: sample.name,
          reader: file.reader,
          against,
          records: file.records,
          counts: file.counts,
          errorCount: result.errorCount,
          shown: file.shown.map((r) => recordView(r, describe)),
          failure: file.failure ? `${where(file.failure)}: ${file.failure.message}` : null,
          moreErrors: result.moreErrors.map((e) => `${e.message} (${where(e)}${e.username ? `, user ${e.username}` : ""})`),
          notes: environment.notes,
        },
      },
      200,
    );
  });
}

/** "file staff, record 3, line 7" */
function where(e: RecordError): string {
  return [`file ${e.file}`, e.record ? `record ${e.record}` : "", e.line !== null ? `line ${e.line}` : ""].filter(Boolean).join(", ");
}

const fieldText = (v: unknown) => (Array.isArray(v) ? v.map((x) => (typeof x === "string" ? x : JSON.stringify(x))).join(", ") : typeof v === "string" ? v : (JSON.stringify(v) ?? ""));

function recordView(r: TriedRecord, describe: (id: number) => string | null): TryRecordView {
  const raw = JSON.stringify(r.raw) ?? "";
  return {
    record: r.record,
    line: r.line,
    username: r.username,
    status: r.status,
    raw: raw.length > 2000 ? `${raw.slice(0, 2000)}…` : raw,
    user: Object.entries(r.user).map(([k, v]) => [k, fieldText(v)]),
    tags: Object.entries(r.tags ?? {}).map(([k, v]) => [k, v]),
    profileTitle: r.finished?.profile?.title ?? null,
    profileTypes: r.finished?.profile?.types ?? [],
    attributes: Object.entries(r.finished?.profile?.attributes ?? r.profile).map(([code, values]) => [code, values.map((v) => typedValueText(v, describe))]),
    errors: r.errors.map((e) => e.message),
  };
}
