// The shapes shared by the control-file parts: the JSON a user writes, the model it maps onto,
// and the values a transformation produces.

/** A control file as written (Haplo's data import framework, dataImportControlFileVersion 0). */
export interface ControlFile {
  dataImportControlFileVersion: 0;
  model: string;
  files: Record<string, FileSpec>;
  instructions: Instruction[];
  mapping?: Record<string, MappingSpec>;
  recordProcessor?: string;
  [key: string]: unknown;
}

export interface FileSpec {
  read: string;
  singleRecord?: boolean;
  charset?: string;
  separator?: string;
  delimiter?: string;
  [key: string]: unknown;
}

export interface MappingSpec {
  types?: string[];
  using: "behaviour" | "title";
  values: Record<string, string>;
}

/** One instruction; `action` defaults to "field". Properties vary by action (reference §3.3). */
export interface Instruction {
  action?: string;
  source?: string;
  destination?: string;
  name?: string;
  structured?: string;
  value?: unknown;
  values?: unknown[];
  multivalue?: boolean;
  qualifier?: string;
  then?: Instruction[];
  else?: Instruction[];
  instructions?: Instruction[];
  wrapValues?: boolean;
  message?: string;
  exists?: boolean;
  mapInputValue?: Record<string, unknown>;
  mapInputValueDefault?: unknown;
  filters?: string[];
  dateFormat?: string;
  country?: string;
  refMapping?: string;
  trueValue?: string;
  falseValue?: string;
  [key: string]: unknown;
}

/** A name of a destination: what can be written, and how. */
export interface NameDef {
  name: string;
  /** A data type name (reference §3.4): text, email-address, datetime, ref, person-name, … */
  type: string;
  multivalue: boolean;
  required: boolean;
  description: string;
  refTypes?: string[];
}

export interface DestinationDef {
  name: string;
  title: string;
  kind: "dictionary" | "object";
  /** An optional destination need not receive any value. */
  optional: boolean;
  /** Pseudo destinations hold parts of a structured value, or a ref to load by. */
  pseudo: boolean;
  /** Hidden from the generator and the model page's main list. */
  excludeFromGenerator: boolean;
  dependsOn?: string;
  displaySort: number;
  description: string;
  names: Map<string, NameDef>;
}

export interface Model {
  name: string;
  title: string;
  description: string;
  destinations: Map<string, DestinationDef>;
}

/** A typed value as stored in a profile object's attributes. */
export interface TypedValue {
  /** the data type */
  t: string;
  /** the value: a string, a number, or a structured value (person-name parts, postal address, { ref }) */
  v: unknown;
  /** the qualifier, if any */
  q?: string;
}
