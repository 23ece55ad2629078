import { RebuildCache } from './ranking.cache';

/** A build the spec finishes by hand. */
function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const p = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { p, resolve, reject };
}

describe('RebuildCache', () => {
  let clock: number;
  const cache = (maxKeys = 10) => new RebuildCache<string>({ ttlMs: 1000, maxKeys, now: () => clock });
  beforeEach(() => {
    clock = 0;
  });

  it('builds once and serves the value until it is invalidated', async () => {
    const c = cache();
    let n = 0;
    const build = async () => `v${++n}`;
    await expect(c.get('a', 'f', build)).resolves.toBe('v1');
    await expect(c.get('a', 'f', build)).resolves.toBe('v1');
    c.invalidate('a');
    await expect(c.get('a', 'f', build)).resolves.toBe('v2');
    expect(c.builds).toBe(2);
  });

  it('lets concurrent reads share one build', async () => {
    const c = cache();
    const d = deferred<string>();
    const build = jest.fn(() => d.p);
    const reads = [c.get('a', 'f', build), c.get('a', 'f', build), c.get('a', 'f', build)];
    d.resolve('x');
    await expect(Promise.all(reads)).resolves.toEqual(['x', 'x', 'x']);
    expect(build).toHaveBeenCalledTimes(1);
  });

  it('does not keep a build that an invalidation overtook, and does not let later reads join it', async () => {
    const c = cache();
    const first = deferred<string>();
    const second = deferred<string>();
    const builds = [first, second];
    const build = jest.fn(() => builds.shift()!.p);
    const early = c.get('a', 'f', build);
    c.invalidate('a'); // a change committed while the first build may already have read the data
    const late = c.get('a', 'f', build);
    expect(build).toHaveBeenCalledTimes(2);
    first.resolve('stale');
    second.resolve('fresh');
    await expect(early).resolves.toBe('stale');
    await expect(late).resolves.toBe('fresh');
    await expect(c.get('a', 'f', build)).resolves.toBe('fresh');
    expect(build).toHaveBeenCalledTimes(2);
  });

  it('keeps nothing when the invalidation comes after the build started but before it finished, even with no second read', async () => {
    const c = cache();
    const d = deferred<string>();
    const p = c.get('a', 'f', () => d.p);
    c.invalidate('a');
    d.resolve('stale');
    await p;
    await expect(c.get('a', 'f', async () => 'fresh')).resolves.toBe('fresh');
  });

  it('rebuilds when the fingerprint changes or the TTL has passed', async () => {
    const c = cache();
    let n = 0;
    const build = async () => `v${++n}`;
    await c.get('a', 'f1', build);
    await expect(c.get('a', 'f2', build)).resolves.toBe('v2');
    clock = 999;
    await expect(c.get('a', 'f2', build)).resolves.toBe('v2');
    clock = 1000;
    await expect(c.get('a', 'f2', build)).resolves.toBe('v3');
  });

  it('forgets a failed build so that the next read tries again', async () => {
    const c = cache();
    await expect(c.get('a', 'f', async () => Promise.reject(new Error('db away')))).rejects.toThrow('db away');
    await expect(c.get('a', 'f', async () => 'ok')).resolves.toBe('ok');
  });

  it('keeps at most maxKeys keys, dropping the least recently read', async () => {
    const c = cache(2);
    let n = 0;
    const build = async () => `v${++n}`;
    await c.get('a', 'f', build);
    await c.get('b', 'f', build);
    await c.get('a', 'f', build); // a is now the most recent
    await c.get('c', 'f', build); // b goes
    expect(c.size).toBe(2);
    await expect(c.get('a', 'f', build)).resolves.toBe('v1');
    await expect(c.get('b', 'f', build)).resolves.toBe('v4');
  });

  it('ignores an invalidation of a key it does not hold', () => {
    const c = cache();
    expect(() => c.invalidate('nothing')).not.toThrow();
    expect(c.size).toBe(0);
  });
});
