// SCIM filters (RFC 7644 §3.4.2.2) to SQL. scim2-parse-filter parses the expression into a tree;
// this turns the tree into a WHERE clause with $n parameters, over a fixed table of the attributes
// each resource type can be filtered on. Anything else — an unknown attribute, an operator that
// makes no sense for its type — is an `invalidFilter` error, never a silently ignored condition.
import { parse, type Filter } from "scim2-parse-filter";

export class ScimFilterError extends Error {}

export type AttributeType = "string" | "boolean" | "integer" | "dateTime";

export interface Attribute {
  /** SQL expression of the value. */
  sql: string;
  type: AttributeType;
  /** RFC 7643 caseExact: false compares case-insensitively. */
  caseExact: boolean;
}

/** A multi-valued complex attribute (groups, members): conditions on it become EXISTS (…). */
export interface MultiValued {
  /** SELECT 1 FROM … WHERE <link to the outer row>; the conditions are ANDed to it. */
  exists: string;
  /** Its sub-attributes; `value` is the default when the attribute is named alone. */
  sub: Record<string, Attribute>;
}

/** A single-valued complex or multi-valued attribute stored as a column (emails: one address). */
export interface Inline {
  sub: Record<string, Attribute>;
}

export type AttributeMap = Record<string, Attribute | MultiValued | Inline>;

const MAX_FILTER_LENGTH = 2000;
const CORE_PREFIX = /^urn:ietf:params:scim:schemas:core:2\.0:(User|Group):/i;

export function compileFilter(text: string, attributes: AttributeMap, params: unknown[]): string {
  if (text.length > MAX_FILTER_LENGTH) throw new ScimFilterError(`The filter is longer than ${MAX_FILTER_LENGTH} characters`);
  let tree: Filter;
  try {
    tree = parse(text);
  } catch (error) {
    throw new ScimFilterError(`The filter is not valid SCIM filter syntax: ${(error as Error).message}`);
  }
  const lookup = lowerKeys(attributes);
  return new Compiler(lookup, params).filter(tree);
}

function lowerKeys<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k.toLowerCase(), v]));
}

class Compiler {
  constructor(
    private readonly attributes: AttributeMap,
    private readonly params: unknown[],
  ) {}

  filter(node: Filter, scope?: Record<string, Attribute>): string {
    switch (node.op) {
      case "and":
      case "or":
        return `(${(node as { filters: Filter[] }).filters.map((f) => this.filter(f, scope)).join(` ${node.op.toUpperCase()} `)})`;
      case "not":
        return `(NOT coalesce(${this.filter((node as { filter: Filter }).filter, scope)}, false))`;
      case "[]": {
        const { attrPath, valFilter } = node as { attrPath: string; valFilter: Filter };
        const complex = this.attributes[stripCore(attrPath).toLowerCase()];
        if (!complex || !("sub" in complex)) throw new ScimFilterError(`"${attrPath}" has no sub-attributes to filter on`);
        const inner = this.filter(valFilter, lowerKeys(complex.sub));
        return "exists" in complex ? `EXISTS (${complex.exists} AND ${inner})` : inner;
      }
      default: {
        const { attrPath, compValue } = node as { attrPath: string; compValue?: unknown };
        return this.comparison(node.op, attrPath, compValue, scope);
      }
    }
  }

  private comparison(op: string, path: string, value: unknown, scope?: Record<string, Attribute>): string {
    const name = stripCore(path).toLowerCase();
    if (scope) {
      const attribute = scope[name];
      if (!attribute) throw new ScimFilterError(`Unknown attribute "${path}" in a value filter`);
      return this.compare(op, attribute, value, path);
    }
    const [head, sub] = splitPath(name);
    const target = this.attributes[head];
    if (!target) throw new ScimFilterError(`Filtering on "${path}" is not supported`);
    if (!("sub" in target)) {
      if (sub) throw new ScimFilterError(`"${head}" has no sub-attribute "${sub}"`);
      return this.compare(op, target, value, path);
    }
    const attribute = lowerKeys(target.sub)[sub ?? "value"];
    if (!attribute) throw new ScimFilterError(`"${head}" has no sub-attribute "${sub}"`);
    const condition = this.compare(op, attribute, value, path);
    return "exists" in target ? `EXISTS (${target.exists} AND ${condition})` : condition;
  }

  private param(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }

  private compare(op: string, attribute: Attribute, value: unknown, path: string): string {
    const column = attribute.type === "string" && !attribute.caseExact ? `lower(${attribute.sql})` : attribute.sql;
    if (op === "pr") return attribute.type === "string" ? `(${attribute.sql} IS NOT NULL AND ${attribute.sql} <> '')` : `(${attribute.sql} IS NOT NULL)`;
    const text = (v: unknown) => {
      if (typeof v !== "string") throw new ScimFilterError(`"${path}" is compared with a string, not ${JSON.stringify(v)}`);
      return attribute.caseExact ? v : v.toLowerCase();
    };
    switch (attribute.type) {
      case "boolean":
        if (op !== "eq" && op !== "ne") throw new ScimFilterError(`"${path}" is a boolean: only eq, ne and pr apply`);
        if (typeof value !== "boolean") throw new ScimFilterError(`"${path}" is compared with true or false, not ${JSON.stringify(value)}`);
        return `(${attribute.sql} IS ${op === "ne" ? "DISTINCT FROM" : "NOT DISTINCT FROM"} ${this.param(value)}::boolean)`;
      case "dateTime": {
        const sqlOp = ORDERING[op] ?? (op === "eq" ? "=" : op === "ne" ? "<>" : null);
        if (!sqlOp) throw new ScimFilterError(`"${path}" is a date and time: use eq, ne, gt, ge, lt, le or pr`);
        if (typeof value !== "string" || Number.isNaN(Date.parse(value))) throw new ScimFilterError(`"${path}" is compared with an xsd:dateTime string, not ${JSON.stringify(value)}`);
        return `(${attribute.sql} ${sqlOp} ${this.param(new Date(value).toISOString())}::timestamptz)`;
      }
      case "integer":
      case "string": {
        // ids are strings in SCIM (RFC 7643 §3.1) though they are numbers here: compare as text.
        if (op === "eq") return `(${column} = ${this.param(text(value))})`;
        if (op === "ne") return `(${column} IS DISTINCT FROM ${this.param(text(value))})`;
        if (op === "co" || op === "sw" || op === "ew") {
          const escaped = text(value).replace(/[\\%_]/g, (c) => `\\${c}`);
          const pattern = op === "co" ? `%${escaped}%` : op === "sw" ? `${escaped}%` : `%${escaped}`;
          return `(${column} LIKE ${this.param(pattern)})`;
        }
        const ordering = ORDERING[op];
        if (ordering && attribute.type === "string") return `(${column} ${ordering} ${this.param(text(value))})`;
        throw new ScimFilterError(`The operator "${op}" does not apply to "${path}"`);
      }
    }
  }
}

const ORDERING: Record<string, string> = { gt: ">", ge: ">=", lt: "<", le: "<=" };

function stripCore(path: string): string {
  return path.replace(CORE_PREFIX, "");
}

function splitPath(name: string): [string, string | undefined] {
  const dot = name.indexOf(".");
  return dot === -1 ? [name, undefined] : [name.slice(0, dot), name.slice(dot + 1)];
}
