// Bytes → text in a declared charset, streaming. UTF-8 goes through TextDecoder in fatal mode,
// so invalid bytes are an error that says where, not silent U+FFFD replacement characters.
// Other charsets (windows-1252, ISO-8859-1, …) go through iconv-lite. A UTF-8 byte-order mark is
// dropped: Excel writes one and it used to become part of the first header (reference §4).
import iconv from "iconv-lite";
import { ReaderError, type ByteSource } from "./types.ts";

export function normaliseCharset(charset: string | undefined): string {
  return (charset ?? "utf-8").trim().toLowerCase();
}

export function isKnownCharset(charset: string): boolean {
  return iconv.encodingExists(normaliseCharset(charset));
}

function isUtf8(charset: string): boolean {
  return charset === "utf-8" || charset === "utf8";
}

export async function* decodeText(source: ByteSource, charset?: string): AsyncGenerator<string> {
  const name = normaliseCharset(charset);
  let first = true;
  let offset = 0;
  if (isUtf8(name)) {
    const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
    for await (const chunk of source) {
      let text: string;
      try {
        text = decoder.decode(chunk, { stream: true });
      } catch {
        throw new ReaderError(`The file is not valid UTF-8 (invalid bytes between byte ${offset} and ${offset + chunk.length}); check the charset`);
      }
      offset += chunk.length;
      if (text) yield text;
    }
    try {
      const rest = decoder.decode();
      if (rest) yield rest;
    } catch {
      throw new ReaderError("The file is not valid UTF-8 (it ends in the middle of a character)");
    }
    return;
  }
  if (!iconv.encodingExists(name)) throw new ReaderError(`Unknown charset: ${charset}`);
  const decoder = iconv.getDecoder(name, { stripBOM: true });
  for await (const chunk of source) {
    let text = decoder.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    if (first && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    first = false;
    if (text) yield text;
  }
  const rest = decoder.end();
  if (rest) yield rest;
}
