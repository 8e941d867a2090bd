// Web UI access: local accounts, sessions, and how many failed sign-ins are tolerated.
export { AdminError, checkAdminName, checkPassword, createAdmin, listAdmins, MIN_PASSWORD_LENGTH, normaliseAdminName, ROLES, setAdminDisabled, setAdminPassword, verifyLogin, type Admin, type Role } from "./admins.ts";
export { createSession, endSession, loadSession, randomToken, sameToken, SESSION_LIFETIME_MS, tokenDigest, type Session } from "./sessions.ts";
export { ACCOUNT_THROTTLE, ADDRESS_THROTTLE } from "./limits.ts";
