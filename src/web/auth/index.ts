// Web UI access: local accounts, sessions, sign-in throttling and the audit log.
export { AdminError, checkAdminName, checkPassword, createAdmin, listAdmins, MIN_PASSWORD_LENGTH, normaliseAdminName, ROLES, setAdminDisabled, setAdminPassword, verifyLogin, type Admin, type Role } from "./admins.ts";
export { audit, type AuditEntry } from "./audit.ts";
export { createSession, endSession, loadSession, randomToken, sameToken, SESSION_LIFETIME_MS, tokenDigest, type Session } from "./sessions.ts";
export { ACCOUNT_THROTTLE, ADDRESS_THROTTLE, LoginThrottle, type ThrottleSettings } from "./throttle.ts";
