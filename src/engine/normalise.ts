/** Usernames are compared after normalisation: Unicode NFC, trimmed, lower-case (DESIGN.md). */
export function normaliseUsername(username: string): string {
  return username.normalize("NFC").trim().toLowerCase();
}

/** Emails are compared case-insensitively for collisions. */
export function normaliseEmail(email: string): string {
  return email.normalize("NFC").trim().toLowerCase();
}
