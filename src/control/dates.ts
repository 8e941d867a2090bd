// Dates written with Java SimpleDateFormat patterns (the `dateFormat` of a datetime value),
// because Haplo control files carry them. A pattern is compiled once into a regular expression
// and a function that builds the date; parsing is strict (Java's lenient default turns
// "2020-13-45" into a date in 2021; we report it instead).

export class DateFormatError extends Error {}

interface Field {
  letter: string;
  count: number;
}

type Part = { literal: string } | Field;

function tokenize(pattern: string): Part[] {
  const parts: Part[] = [];
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i]!;
    if (c === "'") {
      // quoted literal; '' is a single quote
      if (pattern[i + 1] === "'") {
        parts.push({ literal: "'" });
        i += 2;
        continue;
      }
      const end = pattern.indexOf("'", i + 1);
      if (end === -1) throw new DateFormatError(`Unterminated quote in date format "${pattern}"`);
      let text = pattern.slice(i + 1, end);
      i = end + 1;
      while (pattern[i] === "'" && pattern[i + 1] !== undefined) {
        // 'o''clock' → o'clock
        const next = pattern.indexOf("'", i + 1);
        if (next === -1) break;
        text += "'" + pattern.slice(i + 1, next);
        i = next + 1;
      }
      parts.push({ literal: text });
    } else if (/[a-zA-Z]/.test(c)) {
      let count = 1;
      while (pattern[i + count] === c) count++;
      parts.push({ letter: c, count });
      i += count;
    } else {
      parts.push({ literal: c });
      i++;
    }
  }
  return parts;
}

const MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"];
const DAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];

function escapeRegExp(s: string) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function numberPattern(count: number, max: number) {
  // Java: a count of 1 accepts any number of digits; a larger count accepts at least that many when adjacent fields are numeric.
  return count === 1 ? `(\\d{1,${max}})` : `(\\d{${count},${Math.max(count, max)}})`;
}

type Setter = (state: DateState, text: string) => boolean;

interface DateState {
  year?: number;
  month?: number;
  day?: number;
  hour?: number;
  hour12?: number;
  pm?: boolean;
  minute?: number;
  second?: number;
  millisecond?: number;
  offsetMinutes?: number;
}

function fieldRule(field: Field, pattern: string): { regex: string; set: Setter } {
  const { letter, count } = field;
  const num = (max: number, assign: (s: DateState, n: number) => boolean) => ({
    regex: numberPattern(count, max),
    set: (s: DateState, t: string) => assign(s, Number(t)),
  });
  switch (letter) {
    case "y":
    case "u":
      if (count === 2)
        return {
          regex: "(\\d{2})",
          // Java's two-digit years fall within 80 years before and 20 after now.
          set: (s, t) => {
            const now = new Date().getUTCFullYear();
            let year = Math.floor(now / 100) * 100 + Number(t);
            if (year > now + 20) year -= 100;
            s.year = year;
            return true;
          },
        };
      return num(4, (s, n) => ((s.year = n), true));
    case "M":
    case "L":
      if (count >= 3)
        return {
          regex: `([A-Za-z]{3,9})`,
          set: (s, t) => {
            const lower = t.toLowerCase();
            const index = MONTHS.findIndex((m) => (count === 3 ? m.slice(0, 3) === lower : m === lower));
            if (index < 0) return false;
            s.month = index + 1;
            return true;
          },
        };
      return num(2, (s, n) => ((s.month = n), n >= 1 && n <= 12));
    case "d":
      return num(2, (s, n) => ((s.day = n), n >= 1 && n <= 31));
    case "H":
      return num(2, (s, n) => ((s.hour = n), n <= 23));
    case "k":
      return num(2, (s, n) => ((s.hour = n % 24), n >= 1 && n <= 24));
    case "h":
      return num(2, (s, n) => ((s.hour12 = n % 12), n >= 1 && n <= 12));
    case "K":
      return num(2, (s, n) => ((s.hour12 = n), n <= 11));
    case "m":
      return num(2, (s, n) => ((s.minute = n), n <= 59));
    case "s":
      return num(2, (s, n) => ((s.second = n), n <= 59));
    case "S":
      return {
        regex: count === 1 ? "(\\d{1,3})" : `(\\d{${count}})`,
        set: (s, t) => ((s.millisecond = Number(t)), Number(t) <= 999),
      };
    case "a":
      return { regex: "([AaPp][Mm])", set: (s, t) => ((s.pm = t.toLowerCase() === "pm"), true) };
    case "E":
      return {
        regex: "([A-Za-z]{3,9})",
        set: (_s, t) => DAYS.some((d) => d === t.toLowerCase() || d.slice(0, 3) === t.toLowerCase()),
      };
    case "z":
    case "Z":
    case "X":
      return {
        regex: "(Z|[+-]\\d{2}:?\\d{2}|[+-]\\d{2}|UTC|GMT)",
        set: (s, t) => {
          if (t === "Z" || t === "UTC" || t === "GMT") {
            if (t === "Z" && letter !== "X") return false;
            s.offsetMinutes = 0;
            return true;
          }
          const m = /^([+-])(\d{2}):?(\d{2})?$/.exec(t)!;
          s.offsetMinutes = (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0));
          return true;
        },
      };
    case "G":
      return { regex: "(AD|BC)", set: (_s, t) => t === "AD" };
    default:
      throw new DateFormatError(`Unsupported letter "${letter}" in date format "${pattern}"`);
  }
}

export type DateParser = (text: string) => Date | null;

const cache = new Map<string, DateParser>();

/** Compile a SimpleDateFormat pattern. Throws DateFormatError for a pattern it cannot use. */
export function compileDateFormat(pattern: string): DateParser {
  const cached = cache.get(pattern);
  if (cached) return cached;
  const rules: Setter[] = [];
  let source = "^\\s*";
  for (const part of tokenize(pattern)) {
    if ("literal" in part) {
      source += part.literal === " " ? "\\s+" : escapeRegExp(part.literal);
    } else {
      const rule = fieldRule(part, pattern);
      source += rule.regex;
      rules.push(rule.set);
    }
  }
  source += "\\s*$";
  const regex = new RegExp(source);
  const parser: DateParser = (text) => {
    const match = regex.exec(text);
    if (!match) return null;
    const state: DateState = {};
    for (let i = 0; i < rules.length; i++) if (!rules[i]!(state, match[i + 1]!)) return null;
    let hour = state.hour ?? 0;
    if (state.hour12 !== undefined) hour = state.hour12 + (state.pm ? 12 : 0);
    else if (state.pm !== undefined && state.hour !== undefined && state.hour < 12 && state.pm) hour += 12;
    const year = state.year ?? 1970;
    const month = state.month ?? 1;
    const day = state.day ?? 1;
    const ms = Date.UTC(year, month - 1, day, hour, state.minute ?? 0, state.second ?? 0, state.millisecond ?? 0);
    const date = new Date(ms - (state.offsetMinutes ?? 0) * 60_000);
    // strict: reject dates that rolled over (31 February)
    const check = new Date(ms);
    if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return null;
    return date;
  };
  cache.set(pattern, parser);
  return parser;
}
