// The diff engine: reader → transform → digest → COPY into stage → set-based classification →
// checks → apply in one transaction → events. Public surface of src/engine/.
export { checkDetails, type UserDetails } from "./details.ts";
export { applyConfigGroups, loadGroupDefinitions } from "./groups.ts";
export { canonicalJson, digestOf } from "./digest.ts";
export { DeferredLookups, loadLookups, titleMappingTypes } from "./lookups.ts";
export { finishProfile, type GroupDefinition } from "./profile.ts";
export { normaliseEmail, normaliseUsername } from "./normalise.ts";
export {
  executeRun,
  markFailed,
  FailureNotRecorded,
  RunError,
  type EngineSettings,
  type RunCounts,
  type RunOptions,
  type RunOutcome,
  type RunStatus,
  type SafetyCheck,
  type SafetyCheckResult,
  type SafetyVerdict,
} from "./run.ts";
export { DEFAULT_SAFETY, planSafetyCheck, preflightChecks, resolveSafetySettings, type OnTrip, type SafetySettings } from "./safety.ts";
export { notifyRunHeld, onRunHeld, type HeldRunEvent, type HeldRunListener } from "./notify.ts";
export type { HeldPart } from "./apply.ts";
export { liveProgress, type Phase, type ProgressState } from "./progress.ts";
export { FeedFileError } from "./stage.ts";
export type { Action } from "./plan.ts";
export { ApprovalError, approveRun, rejectRun, type ApproveOptions } from "./approval.ts";
export { revertRun, RevertError, type RevertConflict, type RevertOptions, type RevertOutcome } from "./revert.ts";
export { replayRun, type ReplayOptions } from "./replay.ts";
export { explainUser, findUsername, type UserReport } from "./explain.ts";
