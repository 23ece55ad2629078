import * as net from 'node:net';
import * as path from 'node:path';
import type { PrivateRedis, StartPrivateRedisOptions } from './modules/queue/redis-server';
import { portIsFree, RedisResolutionDeps, RedisUnavailableError, resolveRedis } from './redis-resolution';

const DEFAULT_URL = 'redis://127.0.0.1:6379';
const VAR_DIR = '/srv/contest/var';

/** Fakes for every dependency; each test overrides what its branch needs. */
type MockedDeps = { [K in keyof RedisResolutionDeps]: jest.MockedFunction<RedisResolutionDeps[K]> };

/** Fakes for every dependency (each a jest mock); a test passes plain functions for what its branch needs. */
function fakes(over: Partial<RedisResolutionDeps> = {}) {
  const stop = jest.fn(async () => undefined);
  const deps: MockedDeps = {
    findBinary: jest.fn(over.findBinary ?? (() => '/usr/bin/redis-server')),
    ping: jest.fn(over.ping ?? (async () => false)),
    start: jest.fn(
      over.start ??
        (async (opts: StartPrivateRedisOptions): Promise<PrivateRedis> => ({ url: `redis://127.0.0.1:${opts.port ?? 40001}`, port: opts.port ?? 40001, pid: 4242, stop })),
    ),
    portIsFree: jest.fn(over.portIsFree ?? (async () => true)),
  };
  return { deps, stop };
}

describe('resolveRedis', () => {
  it('explicit REDIS_URL: used as is, even when it does not answer (never a private Redis)', async () => {
    for (const answering of [true, false]) {
      const { deps } = fakes({ ping: async () => answering });
      const r = await resolveRedis({ explicitUrl: 'redis://cache:6390/1', defaultUrl: DEFAULT_URL, varDir: VAR_DIR, ...deps });
      expect(r).toEqual({ source: 'explicit', url: 'redis://cache:6390/1', answering });
      expect(deps.ping).toHaveBeenCalledTimes(1);
      expect(deps.ping.mock.calls[0][0]).toBe('redis://cache:6390/1');
      expect(deps.findBinary).not.toHaveBeenCalled();
      expect(deps.start).not.toHaveBeenCalled();
    }
  });

  it('REDIS_URL unset and the default Redis answers: uses it', async () => {
    const { deps } = fakes({ ping: async (url: string) => url === DEFAULT_URL });
    const r = await resolveRedis({ defaultUrl: DEFAULT_URL, varDir: VAR_DIR, ...deps });
    expect(r).toEqual({ source: 'default', url: DEFAULT_URL });
    expect(deps.ping).toHaveBeenCalledWith(DEFAULT_URL, 1000);
    expect(deps.findBinary).not.toHaveBeenCalled();
    expect(deps.start).not.toHaveBeenCalled();
  });

  it('default silent and redis-server installed: starts a private one under <varDir>/redis with appendonly, returns its url and a stop()', async () => {
    const { deps, stop } = fakes();
    const r = await resolveRedis({ defaultUrl: DEFAULT_URL, varDir: VAR_DIR, ...deps });
    expect(deps.start).toHaveBeenCalledTimes(1);
    expect(deps.start).toHaveBeenCalledWith({ dir: path.join(VAR_DIR, 'redis'), port: undefined, appendonly: true, binary: '/usr/bin/redis-server' });
    expect(r).toMatchObject({ source: 'private', url: 'redis://127.0.0.1:40001', dir: path.join(VAR_DIR, 'redis'), pid: 4242 });
    if (r.source !== 'private') throw new Error('unreachable');
    expect(stop).not.toHaveBeenCalled();
    await r.stop();
    expect(stop).toHaveBeenCalledTimes(1);
  });

  it('private Redis: takes the preferred port when it is free, any free port otherwise', async () => {
    const free = fakes({ portIsFree: async () => true });
    const a = await resolveRedis({ defaultUrl: DEFAULT_URL, varDir: VAR_DIR, privatePort: 6380, ...free.deps });
    expect(free.deps.portIsFree).toHaveBeenCalledWith(6380);
    expect(free.deps.start.mock.calls[0][0].port).toBe(6380);
    expect(a.url).toBe('redis://127.0.0.1:6380');

    const taken = fakes({ portIsFree: async () => false });
    await resolveRedis({ defaultUrl: DEFAULT_URL, varDir: VAR_DIR, privatePort: 6380, ...taken.deps });
    expect(taken.deps.start.mock.calls[0][0].port).toBeUndefined();
  });

  it('private Redis: a failure to start is passed on', async () => {
    const { deps } = fakes({ start: async () => Promise.reject(new Error('startPrivateRedis: exited early')) });
    await expect(resolveRedis({ defaultUrl: DEFAULT_URL, varDir: VAR_DIR, ...deps })).rejects.toThrow('exited early');
  });

  it('default silent and no redis-server: RedisUnavailableError telling how to get Redis', async () => {
    const { deps } = fakes({ findBinary: () => null });
    const error = await resolveRedis({ defaultUrl: DEFAULT_URL, varDir: VAR_DIR, ...deps }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedisUnavailableError);
    const message = (error as Error).message;
    expect(message).toContain(DEFAULT_URL);
    expect(message).toMatch(/apt-get install redis-server/);
    expect(message).toMatch(/REDIS_URL=redis:\/\//);
    expect(message).not.toMatch(/\n/);
    expect(deps.start).not.toHaveBeenCalled();
  });
});

describe('portIsFree', () => {
  it('is false while something listens and true once it stopped', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    await expect(portIsFree(port)).resolves.toBe(false);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await expect(portIsFree(port)).resolves.toBe(true);
  });
});
