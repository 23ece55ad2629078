import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { findRedisServerBinary, freePort, pingRedis, PrivateRedis, startPrivateRedis } from './redis-server';
import { silentPeer } from '../../../test/utils/silent-peer';

const binary = findRedisServerBinary();
const describeIfRedis = binary ? describe : describe.skip;
if (!binary) {
  // eslint-disable-next-line no-console
  console.warn('redis-server.spec: skipped because no `redis-server` binary was found on PATH, /usr/bin or /usr/sbin');
}

describe('pingRedis', () => {
  it('resolves false (without throwing) on a closed port', async () => {
    const port = await freePort();
    const started = Date.now();
    await expect(pingRedis(`redis://127.0.0.1:${port}`, 500)).resolves.toBe(false);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('resolves false for a malformed url', async () => {
    await expect(pingRedis('redis://127.0.0.1:1/not-a-db', 300)).resolves.toBe(false);
  });

  it('resolves false within the timeout when the peer accepts but never answers', async () => {
    const peer = await silentPeer();
    try {
      const started = Date.now();
      await expect(pingRedis(`redis://127.0.0.1:${peer.port}`, 300)).resolves.toBe(false);
      expect(Date.now() - started).toBeLessThan(1500);
    } finally {
      await peer.close();
    }
  });
});

describe('freePort', () => {
  it('returns a usable TCP port number', async () => {
    const port = await freePort();
    expect(Number.isInteger(port)).toBe(true);
    expect(port).toBeGreaterThan(0);
    expect(port).not.toBe(6379);
  });
});

// Reason for skipping (only when the binary is missing): these tests spawn a real redis-server.
describeIfRedis(`startPrivateRedis (needs redis-server; found: ${binary ?? 'none'})`, () => {
  jest.setTimeout(30_000);
  let dir: string;
  let redis: PrivateRedis | undefined;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'private-redis-'));
  });

  afterAll(async () => {
    await redis?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('starts, stops and restarts on the same port', async () => {
    redis = await startPrivateRedis({ dir });
    const { port, url } = redis;
    expect(port).not.toBe(6379);
    expect(url).toBe(`redis://127.0.0.1:${port}`);
    expect(redis.pid).toBeGreaterThan(0);
    await expect(pingRedis(url)).resolves.toBe(true);
    expect(fs.existsSync(path.join(dir, 'redis.log'))).toBe(true);

    await redis.stop();
    await redis.stop(); // idempotent
    const started = Date.now();
    await expect(pingRedis(url)).resolves.toBe(false);
    expect(Date.now() - started).toBeLessThan(2000);

    redis = await startPrivateRedis({ dir, port });
    expect(redis.port).toBe(port);
    await expect(pingRedis(url)).resolves.toBe(true);
    await redis.stop();
    await expect(pingRedis(url, 500)).resolves.toBe(false);
  });

  it('rejects with the log tail when redis-server cannot start (port already taken)', async () => {
    // Accept-and-drop: the port is taken, and probes get a reset instead of hanging.
    const blocker = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as net.AddressInfo;
    try {
      const err: Error = await startPrivateRedis({ dir: path.join(dir, 'bad'), port }).then(
        () => {
          throw new Error('expected startPrivateRedis to reject');
        },
        (e: Error) => e,
      );
      expect(err.message).toMatch(/exited early/);
      expect(err.message).toMatch(/redis\.log \(tail\)/);
      expect(err.message).toMatch(/Could not create server TCP listening socket|Address already in use/);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });
});
