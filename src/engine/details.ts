// The rules an account must meet before it is written (Haplo's platform rules, reference §6.6):
// first name, last name and email are non-empty text, the email has a sane shape, and every
// group code is one the configuration knows. A record that breaks one is rejected for that user
// only — their last good state stays (DESIGN.md: bad records never cause collateral damage).

/** The platform's email rule (reference §6.6). */
const EMAIL = /^[a-zA-Z0-9!#$%*/?|^{}`~&'+=_.-]+@[a-zA-Z0-9-]+\.[a-zA-Z0-9.-]+$/;

export interface UserDetails {
  username: string;
  nameFirst: string;
  nameLast: string;
  email: string;
  title: string | null;
  groups: string[];
}

export type DetailsCheck = { ok: true; details: UserDetails } | { ok: false; problems: string[] };

function text(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const trimmed = value.trim();
  return trimmed === "" ? null : trimmed;
}

export function checkDetails(username: string, user: Record<string, unknown>, knownGroups: ReadonlySet<string>): DetailsCheck {
  const problems: string[] = [];
  const nameFirst = text(user.nameFirst);
  const nameLast = text(user.nameLast);
  const email = text(user.email);
  if (nameFirst === null) problems.push("First name must be non-empty text");
  if (nameLast === null) problems.push("Last name must be non-empty text");
  if (email === null) problems.push("Email address must be non-empty text");
  else if (!EMAIL.test(email)) problems.push(`Invalid email address: ${email}`);
  const groups: string[] = [];
  const rawGroups = user.groups === undefined ? [] : Array.isArray(user.groups) ? user.groups : [user.groups];
  for (const g of rawGroups) {
    if (typeof g !== "string" || g === "") continue;
    if (!knownGroups.has(g)) problems.push(`Unknown group code: ${g}`);
    else if (!groups.includes(g)) groups.push(g);
  }
  if (problems.length) return { ok: false, problems };
  return {
    ok: true,
    details: { username, nameFirst: nameFirst!, nameLast: nameLast!, email: email!, title: text(user.title), groups },
  };
}
