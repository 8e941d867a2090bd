// How numbers, times and sizes read on the pages.

export function num(n: number | null | undefined): string {
  return n === null || n === undefined || Number.isNaN(n) ? "–" : Number(n).toLocaleString("en-GB");
}

function toDate(value: Date | string | number | null | undefined): Date | null {
  if (value === null || value === undefined || value === "") return null;
  const d = value instanceof Date ? value : new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const pad = (n: number) => String(n).padStart(2, "0");

/** "24 Nov 2026 23:45" in UTC (the server's clock; the page says so). */
export function when(value: Date | string | number | null | undefined, seconds = false): string {
  const d = toDate(value);
  if (!d) return "–";
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}${seconds ? `:${pad(d.getUTCSeconds())}` : ""}`;
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${time}`;
}

export function isoOf(value: Date | string | number | null | undefined): string | undefined {
  return toDate(value)?.toISOString();
}

/** "3 h ago", "in 2 days". */
export function ago(value: Date | string | number | null | undefined, now = Date.now()): string {
  const d = toDate(value);
  if (!d) return "";
  const s = Math.round((now - d.getTime()) / 1000);
  const a = Math.abs(s);
  const text =
    a < 60 ? `${a} s` : a < 3600 ? `${Math.round(a / 60)} min` : a < 86400 * 2 ? `${Math.round(a / 3600)} h` : `${Math.round(a / 86400)} days`;
  if (a < 10) return "just now";
  return s >= 0 ? `${text} ago` : `in ${text}`;
}

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "–";
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** A size limit in words: "1 MB" for a whole number of megabytes, else as bytes() says it. */
export function sizeLimit(n: number): string {
  return n % (1024 * 1024) === 0 ? `${n / 1024 / 1024} MB` : bytes(n);
}

export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return "–";
  if (n < 1024) return `${n} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${num(n)} ${n === 1 ? one : many}`;
}
