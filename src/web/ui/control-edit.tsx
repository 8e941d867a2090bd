/** @jsxImportSource hono/jsx */
// Changing the control file from the UI (admin only, CSRF like every post): upload a new version —
// validated exactly as a feed's `_control` upload is (loadControl), stored and made current by the
// same functions (saveControlVersion, setCurrentControl), audited with its digest — and "try it":
// a sample of one of its files read through tryRecords, as `usersync check` does.
import type { Hono } from "hono";
import { audit, saveControlVersion, setCurrentControl } from "../../batch/index.ts";
import { currentRun } from "../../batch/uploads.ts";
import { ControlFileError, loadControl, type Control, type Problem } from "../../control/index.ts";
import { parseJsonWithPosition } from "../../util/json.ts";
import { viewerOf, type UiDeps, type UiEnv } from "./context.ts";
import { CONTROL_FORM_MAX_BYTES, renderControlPage } from "./control.tsx";
import { currentControlId } from "./data/control.ts";
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
}

