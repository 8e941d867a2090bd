// A reference to a store object (a profile, a department…), as it flows through filters and
// value conversions. Stored values keep only the object's id.
export class Ref {
  constructor(readonly id: number) {}
  toString(): string {
    return String(this.id);
  }
}

/** Parse a ref as written in a feed or control file: the object id in decimal. */
export function parseRef(text: string): Ref | undefined {
  return /^[1-9][0-9]{0,15}$/.test(text) ? new Ref(Number(text)) : undefined;
}
