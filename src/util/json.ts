// JSON parsing that says where a mistake is. JSON.parse (fast, strict) does the parsing; when it
// fails, jsonc-parser (strict mode) finds the first error's offset so we can name the line and
// column — JavaScriptCore's own message carries no position.
import { type ParseError, parse as parseLenient, printParseErrorCode } from "jsonc-parser";

export type JsonResult = { ok: true; value: unknown } | { ok: false; error: string; line: number; column: number };

const FRIENDLY: Record<string, string> = {
  PropertyNameExpected: "a property name in double quotes was expected (a trailing comma?)",
  ValueExpected: "a value was expected (a trailing comma?)",
  CommaExpected: "a comma was expected",
  ColonExpected: "a colon was expected",
  CloseBraceExpected: "a closing } was expected",
  CloseBracketExpected: "a closing ] was expected",
  EndOfFileExpected: "the end of the file was expected (extra text after the JSON value)",
  InvalidSymbol: "this is not valid JSON",
  InvalidCommentToken: "comments are not allowed in JSON",
  UnexpectedEndOfComment: "comments are not allowed in JSON",
  UnexpectedEndOfString: "a string is not closed",
  InvalidEscapeCharacter: "invalid escape character in a string",
  InvalidCharacter: "invalid character in a string (control characters must be escaped)",
};

export function positionOf(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf("\n"); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

export function parseJsonWithPosition(text: string): JsonResult {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return { ok: true, value: JSON.parse(body) };
  } catch (error) {
    if (body.trim() === "") return { ok: false, error: "Invalid JSON: the file is empty", line: 1, column: 1 };
    const errors: ParseError[] = [];
    parseLenient(body, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
    const first = errors[0];
    if (!first) {
      return { ok: false, error: `Invalid JSON: ${(error as Error).message}`, line: 1, column: 1 };
    }
    const { line, column } = positionOf(body, first.offset);
    const code = printParseErrorCode(first.error);
    return { ok: false, error: `Invalid JSON at line ${line}, column ${column}: ${FRIENDLY[code] ?? code}`, line, column };
  }
}
