// The sync run lifecycle (reference §5.3, Haplo bugs §9.7, §9.10, §9.11 fixed), on both databases.
import { expect, test } from "bun:test";
import {
  cancelRun,
  claimQueuedRun,
  currentControl,
  feedNameOf,
  isIgnoredUpload,
  moveRun,
  queueRetry,
  reapplyRun,
  receiveFile,
  requestApply,
  runReport,
  RunStateError,
  UploadRefused,
  type UploadVia,
} from "../../src/batch/index.ts";
import type { SafetyVerdict } from "../../src/engine/index.ts";
import type { Store } from "../../src/store/index.ts";
import { DEFAULT_SETTINGS, json, person, simpleControl } from "../helpers/feeds.ts";
import { holdAnyway } from "../../src/daemon/worker.ts";
import { describeEachBackend } from "../helpers/store.ts";

const TWO_FILES = simpleControl([], { staff: { read: "json" }, students: { read: "json" } });

async function upload(store: Store, name: string, text: string, via: UploadVia = "http") {
  const stored = await store.files.putText(text);
  return receiveFile(store, { name, filename: `${name}.json`, stored, via, by: "tester" }, { control: DEFAULT_SETTINGS });
}

async function refusal(promise: Promise<unknown>): Promise<UploadRefused> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof UploadRefused) return error;
    throw error;
  }
  throw new Error("the upload was accepted");
}

const notHeld = async (): Promise<SafetyVerdict> => ({ held: false, checks: [] });
const start = (store: Store, autoApply = true, preflight = notHeld) => requestApply(store, { autoApply, preflight, actor: "test" });

test("feed names are file names without their extension; partial and hidden files are ignored", () => {
  expect(feedNameOf("staff.json")).toBe("staff");
  expect(feedNameOf("_control.json")).toBe("_control");
  expect(feedNameOf("dir/students.2026-11-24.tsv")).toBe("students");
  expect(feedNameOf("staff")).toBe("staff");
  expect(isIgnoredUpload("staff.json.part")).toBe(true);
  expect(isIgnoredUpload("staff.json.tmp")).toBe(true);
  expect(isIgnoredUpload(".staff.json")).toBe(true);
  expect(isIgnoredUpload("staff.json")).toBe(false);
});

describeEachBackend("sync runs", [{ code: "staff", managed: true }], (t) => {
  test("a run becomes ready once the control file's files and _control are all in, not before", async () => {
    const { store } = t();
    const control = await upload(store, "_control", TWO_FILES);
    expect(control.runStatus).toBe("uploading");
    expect(control.missing).toEqual(["staff", "students"]);
    const staff = await upload(store, "staff", json([person("a1")]));
    expect(staff.runId).toBe(control.runId);
    expect(staff.missing).toEqual(["students"]);
    const students = await upload(store, "students", json([person("b1")]));
    expect(students.runStatus).toBe("ready");
    expect(students.missing).toEqual([]);
    const report = await runReport(store.db, students.runId);
    expect(report!.files.map((f) => f.name)).toEqual(["_control", "staff", "students"]);
    expect(report!.status).toBe("ready");
    expect(report!.errorDelta).toBeNull();
  });

  test("the control file carries over to the next run as a replaceable _control", async () => {
    const { store } = t();
    const first = await upload(store, "_control", simpleControl());
    await upload(store, "staff", json([person("a1")]));
    await cancelRun(store, first.runId, "test");
    const next = await upload(store, "staff", json([person("a2")]));
    expect(next.runId).not.toBe(first.runId);
    expect(next.runStatus).toBe("ready");
    const report = await runReport(store.db, next.runId);
    expect(report!.files.find((f) => f.name === "_control")!.uploadedVia).toBe("carried-over");
  });

  test("an uploaded _control replaces the carried-over one, but only once", async () => {
    const { store } = t();
    const first = await upload(store, "_control", simpleControl());
    await cancelRun(store, first.runId, "test");
    const replaced = await upload(store, "_control", TWO_FILES);
    expect(replaced.runId).not.toBe(first.runId);
    expect(replaced.missing).toEqual(["staff", "students"]);
    const again = await refusal(upload(store, "_control", TWO_FILES));
    expect(again.message).toBe("File _control has already been uploaded for this sync run.");
  });

  test("a second upload of the same name is refused with Haplo's message", async () => {
    const { store } = t();
    await upload(store, "_control", TWO_FILES);
    await upload(store, "staff", json([person("a1")]));
    const second = await refusal(upload(store, "staff", json([person("a2")])));
    expect(second.reason).toBe("duplicate");
    expect(second.message).toBe("File staff has already been uploaded for this sync run.");
  });

  test("a file name the control file does not read is refused and does not wedge the run", async () => {
    const { store } = t();
    await upload(store, "_control", simpleControl());
    const unknown = await refusal(upload(store, "staf", json([person("a1")])));
    expect(unknown.reason).toBe("unknown-name");
    expect(unknown.message).toContain("File staf is not read by the control file, which reads staff");
    const staff = await upload(store, "staff", json([person("a1")]));
    expect(staff.runStatus).toBe("ready");
    const [audit] = await store.db.query<{ action: string; detail: { name: string } }>("SELECT action, detail FROM audit_log WHERE action = 'upload-refused'");
    expect(audit!.detail.name).toBe("staf");
  });

  test("a bad name, invalid JSON or a control file of another model is refused with Haplo's messages", async () => {
    const { store } = t();
    expect((await refusal(upload(store, "../etc", "x"))).reason).toBe("bad-name");
    expect((await refusal(upload(store, "_control", "{ nope"))).message).toStartWith("Control file was not valid JSON: ");
    const otherModel = JSON.parse(simpleControl());
    otherModel.model = "haplo:something-else";
    const wrong = await refusal(upload(store, "_control", JSON.stringify(otherModel)));
    expect(wrong.message).toStartWith("File named _control is not a valid control file: ");
    expect(wrong.message).toContain("Model not implemented: haplo:something-else");
    expect(await currentControl(store.db)).toBeNull();
  });

  test("a control file refused because the run is not uploading does not become current (Haplo bug 7)", async () => {
    const { store } = t();
    const first = await upload(store, "_control", simpleControl());
    await upload(store, "staff", json([person("a1")]));
    const before = await currentControl(store.db);
    const refused = await refusal(upload(store, "_control", TWO_FILES));
    expect(refused.reason).toBe("unexpected-state");
    expect(refused.message).toStartWith("Sync in unexpected state -- use admin interface to resolve.");
    expect((await currentControl(store.db))!.id).toBe(before!.id);
    expect((await runReport(store.db, first.runId))!.status).toBe("ready");
  });

  test("files uploaded before the first control file are kept only if it reads them", async () => {
    const { store } = t();
    await upload(store, "staff", json([person("a1")]));
    await upload(store, "extra", json([person("x1")]));
    const control = await upload(store, "_control", simpleControl());
    expect(control.detached).toEqual(["extra"]);
    expect(control.runStatus).toBe("ready");
  });

  test("start-sync answers unready, disabled, unsafe (the run is planned, then held) or ok (the run is queued)", async () => {
    const { store } = t();
    expect((await start(store)).status).toBe("unready");
    await upload(store, "_control", TWO_FILES);
    await upload(store, "staff", json([person("a1")]));
    expect((await start(store)).status).toBe("unready");
    const ready = await upload(store, "students", json([person("b1")]));
    expect((await start(store, false)).status).toBe("disabled");
    const held = await start(store, true, async () => ({ held: true, checks: [{ name: "first-run", tripped: true, message: "the first run needs a person" }] }));
    expect(held).toMatchObject({ status: "unsafe", runId: ready.runId });
    // queued with the preflight's verdict: the worker plans it and holds it whatever the plan's checks say
    const report = await runReport(store.db, ready.runId);
    expect(report!.status).toBe("queued");
    expect((report!.safety as { held: boolean }).held).toBe(true);
    // a run held (or about to be) blocks uploads until a person resolves it
    expect((await refusal(upload(store, "staff", json([])))).reason).toBe("unexpected-state");
    const claimed = await claimQueuedRun(store.db);
    expect(claimed).toMatchObject({ id: ready.runId, preflight: { held: true } });
    expect(holdAnyway({ held: false, checks: [{ name: "blocks", tripped: false, message: "none" }] }, claimed!.preflight!)).toMatchObject({
      held: true,
      hold: "run",
      checks: [{ name: "blocks" }, { name: "first-run", tripped: true }],
    });
    await store.db.query("UPDATE runs SET status = 'held' WHERE id = $1", [ready.runId]);
    await cancelRun(store, ready.runId, "test");

    await upload(store, "staff", json([person("a1")]));
    const second = await upload(store, "students", json([person("b1")]));
    expect(await start(store)).toEqual({ status: "ok", runId: second.runId });
    expect((await runReport(store.db, second.runId))!.status).toBe("queued");
    expect((await start(store)).status).toBe("unready");
    expect(await claimQueuedRun(store.db)).toEqual({ id: second.runId, kind: "feed", approved: false, approvedBy: null, preflight: null });
    expect(await claimQueuedRun(store.db)).toBeNull();
  });

  test("only allowed moves happen: a running run cannot be cancelled, a complete one cannot become ready", async () => {
    const { store } = t();
    await upload(store, "_control", simpleControl());
    const ready = await upload(store, "staff", json([person("a1")]));
    await start(store);
    await claimQueuedRun(store.db);
    expect(cancelRun(store, ready.runId, "test")).rejects.toBeInstanceOf(RunStateError);
    await store.db.query("UPDATE runs SET status = 'complete' WHERE id = $1", [ready.runId]);
    expect(moveRun(store.db, ready.runId, "ready")).rejects.toThrow(`Run ${ready.runId} is complete; it cannot become ready`);
  });

  test("re-apply makes a new queued run with the old run's files, leaving the open run alone", async () => {
    const { store } = t();
    await upload(store, "_control", simpleControl());
    const ready = await upload(store, "staff", json([person("a1")]));
    await store.db.query("UPDATE runs SET status = 'complete' WHERE id = $1", [ready.runId]);
    const open = await upload(store, "staff", json([person("a2")]));
    await store.db.query("UPDATE runs SET status = 'uploading' WHERE id = $1", [open.runId]);
    const again = await reapplyRun(store, ready.runId, "ui:admin");
    const report = await runReport(store.db, again);
    expect(report).toMatchObject({ status: "queued", kind: "reapply" });
    expect(report!.files.map((f) => f.digest)).toEqual((await runReport(store.db, ready.runId))!.files.map((f) => f.digest));
    expect((await runReport(store.db, "current"))!.id).toBe(open.runId);
    expect(reapplyRun(store, ready.runId, "ui:admin")).rejects.toThrow("is queued: wait for it to finish");
  });

  test("a run the database failed is queued again, not taken before its time, and given up after the last delay", async () => {
    const { store } = t();
    await upload(store, "_control", simpleControl());
    const ready = await upload(store, "staff", json([person("a1")]));
    await start(store);
    await claimQueuedRun(store.db);
    const fail = () => store.db.query("UPDATE runs SET status = 'failure' WHERE id = $1", [ready.runId]);
    await fail();
    // an hour's delay: queued, but not taken yet
    const at = await queueRetry(store.db, ready.runId, "the database is read-only", [3_600_000, 0]);
    expect(at!.getTime()).toBeGreaterThan(Date.now() + 3_500_000);
    const report = await runReport(store.db, ready.runId);
    expect(report!.status).toBe("queued");
    expect(report!.message).toMatch(/^Attempt 1 failed: the database is read-only\. It will be tried again at \d\d:\d\d:\d\d \(attempt 2 of 3\)\.$/);
    expect(await claimQueuedRun(store.db)).toBeNull();
    // only a failed run is queued again (this one is already queued)
    expect(await queueRetry(store.db, ready.runId, "again", [0])).toBeNull();
    // due: taken
    await store.db.query("UPDATE runs SET retry_at = now() - interval '1 second' WHERE id = $1", [ready.runId]);
    expect((await claimQueuedRun(store.db))!.id).toBe(ready.runId);
    await fail();
    expect(await queueRetry(store.db, ready.runId, "the database is read-only", [3_600_000, 0])).not.toBeNull();
    await store.db.query("UPDATE runs SET retry_at = NULL WHERE id = $1", [ready.runId]);
    await claimQueuedRun(store.db);
    await fail();
    // two retries made of two delays: it stays failed, and its log says so
    expect(await queueRetry(store.db, ready.runId, "the disk is full", [3_600_000, 0])).toBeNull();
    expect((await runReport(store.db, ready.runId))!.status).toBe("failure");
    const lines = await store.db.query<{ level: string; message: string }>("SELECT level, message FROM run_events WHERE run_id = $1 ORDER BY seq", [ready.runId]);
    expect(lines.map((l) => l.message.split(":")[0])).toEqual(["RETRY", "RETRY", "GAVE UP after 3 attempts"]);
    expect(lines[2]!.message).toContain(`usersync reapply ${ready.runId}`);
    // no retries configured: nothing is queued, nothing logged
    expect(await queueRetry(store.db, ready.runId, "x", [])).toBeNull();
  });
});
