// Any value as text, without ever throwing. String() throws for an object whose toString is not a
// function — and a feed or a control file can send {"toString": 1} — which would stop a whole run.

export function textOf(value: unknown): string {
  try {
    return String(value);
  } catch {
    try {
      return JSON.stringify(value) ?? Object.prototype.toString.call(value);
    } catch {
      return Object.prototype.toString.call(value);
    }
  }
}
