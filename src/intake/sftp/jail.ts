// Each SFTP account sees only its own home folder. A client path is made absolute and normalised
// as a path *inside* the home ("/../../etc" is "/etc" in the home, never the real one); a symlink
// that points outside (put there by someone else: the server offers no SYMLINK) is refused, because
// the real path of whatever exists along the way must stay inside the home.
import { lstatSync, realpathSync } from "node:fs";
import { dirname, join, posix, relative, sep } from "node:path";

export class JailError extends Error {}

export class Jail {
  readonly realHome: string;

  constructor(readonly home: string) {
    this.realHome = realpathSync(home);
  }

  /** The client's view of a path: absolute, normalised, never above "/". */
  virtual(clientPath: string): string {
    if (clientPath.includes("\0")) throw new JailError("A path cannot contain a NUL character");
    return posix.normalize(`/${clientPath}`).replace(/(.)\/+$/, "$1");
  }

  /** The real path for a client path, checked to stay inside the home. */
  resolve(clientPath: string): string {
    const path = join(this.realHome, this.virtual(clientPath));
    this.assertInside(path);
    return path;
  }

  /** The client's path for a real path inside the home. */
  toVirtual(realPath: string): string {
    return `/${relative(this.realHome, realPath).split(sep).join("/")}`;
  }

  private assertInside(path: string): void {
    // the deepest part of the path that exists, with every symlink on the way followed
    let existing = path;
    for (;;) {
      try {
        existing = realpathSync(existing);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
        // a dangling symlink would be followed by a create: refuse it whatever it points at
        if (isSymlink(existing)) throw new JailError("The path leads outside your home folder");
        const parent = dirname(existing);
        if (parent === existing) break;
        existing = parent;
      }
    }
    if (existing !== this.realHome && !existing.startsWith(this.realHome + sep)) throw new JailError("The path leads outside your home folder");
  }
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
