// A Content-Disposition header that is safe whatever the file's name: an ASCII fallback with
// anything unusual replaced (no quotes, backslashes, control characters or path separators can
// reach the header), plus the exact name in RFC 5987 form for browsers that read it.
export function contentDisposition(filename: string): string {
  const base = filename.split(/[\\/]/).pop() || "download";
  const ascii = base.replace(/[^A-Za-z0-9._-]/g, "_").replace(/^\.+/, "_").slice(0, 150) || "download";
  const encoded = encodeURIComponent(base.slice(0, 150)).replace(/['()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
