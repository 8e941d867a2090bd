// The control-file generator (reference §3.8): a starting control file from the names ticked.
import { describe, expect, test } from "bun:test";
import { checkControlText, compileEnvironment, generateControlFile, userSyncModel } from "../../src/control/index.ts";

describe("the control-file generator", () => {
  const model = userSyncModel();

  test("always starts with the username, puts TODO sources and each type's hints, and validates", () => {
    const text = generateControlFile(model, [
      { destination: "profile", name: "std:attribute:works-for" },
      { destination: "user", name: "email" },
      { destination: "profile", name: "std:attribute:address" },
      { destination: "profile", name: "std:attribute:url" },
      { destination: "profile", name: "std:attribute:job-title", multivalue: true },
    ]);
    const control = JSON.parse(text);
    expect(control.files).toEqual({ TODO: { read: "json" } });
    expect(control.instructions).toEqual([
      { source: "TODO-USERNAME", destination: "user", name: "username" },
      { source: "TODO-EMAIL", destination: "user", name: "email" },
      { source: "TODO-WORKS-FOR", destination: "profile", name: "std:attribute:works-for", refMapping: "TODO-DEFINE-MAPPING" },
      { action: "remove-values", destination: "profile", name: "std:attribute:job-title" },
      { source: "TODO-JOB-TITLE", destination: "profile", name: "std:attribute:job-title", multivalue: true },
      { source: "TODO-ADDRESS-STREET1", destination: "value:postal-address", name: "street1" },
      { source: "TODO-ADDRESS-STREET2", destination: "value:postal-address", name: "street2" },
      { source: "TODO-ADDRESS-CITY", destination: "value:postal-address", name: "city" },
      { source: "TODO-ADDRESS-COUNTY", destination: "value:postal-address", name: "county" },
      { source: "TODO-ADDRESS-POSTCODE", destination: "value:postal-address", name: "postcode" },
      { source: "TODO-ADDRESS-COUNTRY", destination: "value:postal-address", name: "country" },
      { action: "field-structured", structured: "value:postal-address", destination: "profile", name: "std:attribute:address" },
      { source: "TODO-URL", destination: "profile", name: "std:attribute:url", filters: ["haplo:fix-up-url"] },
    ]);
    expect(control.mapping).toEqual({ "TODO-DEFINE-MAPPING": { using: "behaviour", values: { TODO: "TODO" } } });
    const check = checkControlText(text, compileEnvironment());
    expect(check.ok ? [] : check.problems).toEqual([]);
  });

  test("refuses a name the model does not have", () => {
    expect(() => generateControlFile(model, [{ destination: "user", name: "shoeSize" }])).toThrow("The model haplo:user-sync has no name shoeSize in destination user");
  });
});
