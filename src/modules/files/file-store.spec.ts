import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LocalFileStore } from './file-store';

describe('LocalFileStore', () => {
  let root: string;
  let store: LocalFileStore;

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'file-store-'));
    store = new LocalFileStore(root);
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  const leftovers = (dir: string) => fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'));

  it.each([
    ['a certificate-sized file (written directly)', 21_237],
    ['a large file (written through the thread pool)', 3 * 1024 * 1024],
  ])('stores %s whole, with its sha256 and size, and leaves no temporary file', async (_what, size) => {
    const data = Buffer.alloc(size, 7);
    data.write('PDF', 0);
    const out = await store.put('certificates/2026/QZ-2026-000123.pdf', data);
    expect(out).toEqual({ key: 'certificates/2026/QZ-2026-000123.pdf', sha256: sha(data), size });
    expect((await store.get(out.key)).equals(data)).toBe(true);
    expect(leftovers(path.join(root, 'certificates/2026'))).toEqual([]);
  });

  it('replaces a file stored under the same key (a re-render keeps its file key)', async () => {
    await store.put('certificates/x.pdf', Buffer.from('first'));
    await store.put('certificates/x.pdf', Buffer.from('second'));
    expect((await store.get('certificates/x.pdf')).toString()).toBe('second');
  });

  it('makes the directory again when it was removed after the first file', async () => {
    await store.put('certificates/2026/a.pdf', Buffer.from('a'));
    fs.rmSync(path.join(root, 'certificates'), { recursive: true });
    await store.put('certificates/2026/b.pdf', Buffer.from('b'));
    expect((await store.get('certificates/2026/b.pdf')).toString()).toBe('b');
  });

  it('refuses a key that would leave its root, writing nothing', async () => {
    await expect(store.put('../outside.pdf', Buffer.from('x'))).rejects.toThrow(/unsafe file key/);
    await expect(store.put('a/../../outside.pdf', Buffer.from('x'))).rejects.toThrow(/unsafe file key/);
    expect(fs.existsSync(path.join(root, '..', 'outside.pdf'))).toBe(false);
  });
});
