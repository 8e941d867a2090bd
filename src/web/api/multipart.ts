// A multipart/form-data upload read as a stream (busboy): the file part goes straight into the
// content-addressed file store, a chunk at a time, refused past the size limit — a 1 GB upload is
// never held in memory. Fields (`name`, `_ak`) may come before or after the file.
import busboy from "busboy";
import { Readable } from "node:stream";
import type { ReadableStream as NodeWebStream } from "node:stream/web";
import type { FileStore, StoredFile } from "../../store/index.ts";

export interface ReadUpload {
  fields: Record<string, string>;
  /** The part named `file`, stored; null when the request had none. */
  stored: StoredFile | null;
  filename: string | null;
}

export class MultipartError extends Error {}

/**
 * Read a multipart request. `beforeFile` runs when the file part starts, with the fields seen so
 * far: it may throw (e.g. not authorised) and then nothing of the file is kept.
 */
export function readMultipart(
  request: Request,
  options: { files: FileStore; maxBytes: number; beforeFile: (fields: Record<string, string>) => Promise<void> },
): Promise<ReadUpload> {
  const contentType = request.headers.get("content-type") ?? "";
  if (!contentType.toLowerCase().startsWith("multipart/form-data") || !request.body)
    return Promise.reject(new MultipartError("Expected a multipart/form-data upload with the parts name and file"));
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      source.unpipe(parser);
      source.destroy();
      reject(error);
    };
    const fields: Record<string, string> = {};
    let filename: string | null = null;
    let storing: Promise<StoredFile> | null = null;
    const parser = busboy({ headers: { "content-type": contentType }, limits: { files: 1, fields: 50, parts: 60, fieldSize: 64 * 1024 } });
    parser.on("field", (name, value) => {
      fields[name] = value;
    });
    parser.on("file", (name, stream, info) => {
      if (name !== "file" || storing) {
        stream.resume(); // not ours: read past it
        return;
      }
      filename = info.filename ?? null;
      storing = options.beforeFile({ ...fields }).then(() => options.files.put(stream, options.maxBytes));
      storing.catch((error) => {
        stream.resume();
        fail(error);
      });
    });
    parser.on("error", (error) => fail(new MultipartError(`Malformed multipart upload: ${error instanceof Error ? error.message : String(error)}`)));
    parser.on("close", async () => {
      try {
        const stored = storing ? await storing : null;
        if (!settled) {
          settled = true;
          resolve({ fields, stored, filename });
        }
      } catch (error) {
        fail(error);
      }
    });
    const source = Readable.fromWeb(request.body as unknown as NodeWebStream<Uint8Array>);
    source.on("error", (error) => fail(error));
    source.pipe(parser);
  });
}
