// usersync control-template [--names a,b] [--multivalue c]   (a starting control file)
import { parseArgs } from "node:util";
import { loadConfig } from "../config/index.ts";
import { controlTemplate, TemplateError, userSyncModel } from "../control/index.ts";
import { EXIT, UsageError, type Command } from "./command.ts";

function list(value: string | undefined): string[] | undefined {
  return value === undefined ? undefined : value.split(",").map((s) => s.trim()).filter(Boolean);
}

export const controlTemplateCommand: Command = {
  name: "control-template",
  summary: "Print a starting control file listing every destination and name of the model",
  usage: `usersync control-template [--names NAME,NAME…] [--multivalue NAME,NAME…] [--config usersync.json]

Prints a control file for the haplo:user-sync model, as Haplo's control-file generator does: one
instruction per name (all of them, or those given with --names), reading a placeholder source
"TODO-<NAME>", with what each data type needs — a ref mapping, a dateFormat, a telephone
country, the haplo:fix-up-url filter; a person name or postal address is built part by part in
value:person-name / value:postal-address and written with field-structured. Names given with
--multivalue are written with remove-values then "multivalue": true.

A name is given as it is ("email", "std:attribute:job-title") or as destination^name when two
destinations have it. The profile's names come from usersync.json (profile.attributes) and the
user tags from userTags. The output is valid, so "usersync check" accepts it — but every TODO
must be replaced: the file is named "TODO" and reads JSON.`,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { names: { type: "string" }, multivalue: { type: "string" }, config: { type: "string" } },
    });
    if (positionals.length) throw new UsageError(`Unexpected arguments: ${positionals.join(" ")}`);
    const config = loadConfig(values.config);
    const model = userSyncModel({ profileAttributes: config.profile.attributes, userTags: config.userTags });
    try {
      const control = controlTemplate(model, { names: list(values.names), multivalue: list(values.multivalue) });
      console.log(JSON.stringify(control, null, 4));
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      console.error(`usersync control-template: ${error.message}`);
      return EXIT.failure;
    }
    if (process.stderr.isTTY) console.error("This is a starting point: replace every TODO (sources, the file name, mappings) before using it.");
    return EXIT.ok;
  },
};
