import { createHash } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

/** Where uploaded and produced files live. The local directory is the default; an S3-compatible store is the scale path. */
export interface FileStore {
  put(key: string, data: Buffer): Promise<{ key: string; sha256: string; size: number }>;
  get(key: string): Promise<Buffer>;
  delete(key: string): Promise<void>;
}

export const FILE_STORE = Symbol('FILE_STORE');

const SAFE_KEY = /^[A-Za-z0-9][A-Za-z0-9/_.-]{0,250}$/;

/**
 * Files up to this size are written with synchronous calls. A certificate (≈ 21 KB) written through the thread
 * pool took 3–5 times the CPU of the same calls made directly (each of open, write, close and rename is a hand-off
 * to a pool thread and back), for a wait of a tenth of a millisecond; a larger file (an upload) goes through the
 * pool, so that the event loop is not held up while it is written.
 */
const SYNC_WRITE_MAX_BYTES = 256 * 1024;

async function writeThenRename(tmp: string, file: string, data: Buffer): Promise<void> {
  if (data.length <= SYNC_WRITE_MAX_BYTES) {
    writeFileSync(tmp, data);
    renameSync(tmp, file);
    return;
  }
  await fs.writeFile(tmp, data);
  await fs.rename(tmp, file);
}

export class LocalFileStore implements FileStore {
  /** Directories known to exist: one mkdir per directory and process, not one per file. */
  private readonly dirs = new Set<string>();

  constructor(private readonly root: string) {}

  private pathOf(key: string): string {
    if (!SAFE_KEY.test(key) || key.includes('..')) throw new Error(`unsafe file key ${key}`);
    return path.join(this.root, key);
  }

  async put(key: string, data: Buffer) {
    const file = this.pathOf(key);
    const dir = path.dirname(file);
    if (!this.dirs.has(dir)) {
      await fs.mkdir(dir, { recursive: true });
      this.dirs.add(dir);
    }
    // Write then rename: a reader never sees half a file.
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      await writeThenRename(tmp, file, data);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      // The directory went away since (cleaned up by hand): make it again.
      await fs.mkdir(dir, { recursive: true });
      await writeThenRename(tmp, file, data);
    }
    return { key, sha256: createHash('sha256').update(data).digest('hex'), size: data.length };
  }

  get(key: string): Promise<Buffer> {
    return fs.readFile(this.pathOf(key));
  }

  async delete(key: string): Promise<void> {
    await fs.rm(this.pathOf(key), { force: true });
  }
}
