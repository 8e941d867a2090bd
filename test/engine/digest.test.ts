// sameJson (pass 2's field comparison) must mean exactly what comparing canonical JSON texts meant.
import { expect, test } from "bun:test";
import fc from "fast-check";
import { canonicalJson, sameJson } from "../../src/engine/digest.ts";

// JSON-like values as pass 2 meets them, with undefined where a mapped value may be missing
const value = fc.letrec((tie) => ({
  any: fc.oneof(
    { depthSize: "small" },
    fc.constantFrom(null, undefined, 0, -0, 1, NaN, "", "a", "1", true, false),
    fc.string({ maxLength: 3 }),
    fc.array(tie("any"), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom("a", "b", "c", "value", "type"), tie("any"), { maxKeys: 3 }),
  ),
})).any;

/** b made from a by a small change, so that most pairs are nearly the same (where the bugs would be) */
const nearly = (a: unknown, change: number): unknown => {
  if (Array.isArray(a)) return change % 3 === 0 ? a.slice(0, -1) : a.map((x, i) => (i === change % Math.max(1, a.length) ? nearly(x, change + 1) : x));
  if (a && typeof a === "object") {
    const copy: Record<string, unknown> = { ...(a as Record<string, unknown>) };
    const keys = Object.keys(copy);
    if (change % 4 === 0) copy.extra = change % 8 === 0 ? undefined : null;
    else if (keys.length) copy[keys[change % keys.length]!] = change % 5 === 0 ? undefined : nearly(copy[keys[change % keys.length]!], change + 1);
    return copy;
  }
  return [null, undefined, 0, "", "0", false][change % 6];
};

test("sameJson agrees with comparing canonicalJson texts, for random and nearly equal values", () => {
  fc.assert(
    fc.property(value, value, fc.nat(50), (a, b, change) => {
      const c = nearly(a, change);
      for (const [x, y] of [[a, b], [a, a], [a, c], [c, a], [a, structuredClone(a)]] as const)
        expect(sameJson(x, y)).toBe(canonicalJson(x) === canonicalJson(y));
    }),
    { numRuns: 3000 },
  );
});

test("sameJson: key order does not matter, absent keys and undefined values are the same, null is not absent", () => {
  expect(sameJson({ a: 1, b: [1, { c: "x" }] }, { b: [1, { c: "x" }], a: 1 })).toBe(true);
  expect(sameJson({ a: 1, b: undefined }, { a: 1 })).toBe(true);
  expect(sameJson({ a: 1, b: null }, { a: 1 })).toBe(false);
  expect(sameJson([undefined], [null])).toBe(true);
  expect(sameJson({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
  expect(sameJson("1", 1)).toBe(false);
});
