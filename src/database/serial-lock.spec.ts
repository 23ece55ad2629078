import { setTimeout as sleep } from 'node:timers/promises';
import { SerialLock } from './serial-lock';

describe('SerialLock', () => {
  it('runs critical sections one at a time, in arrival order', async () => {
    const lock = new SerialLock(true);
    const log: string[] = [];
    await Promise.all(
      [3, 1, 2].map((delay, i) =>
        lock.run(async () => {
          log.push(`start ${i}`);
          await sleep(delay);
          log.push(`end ${i}`);
        }),
      ),
    );
    expect(log).toEqual(['start 0', 'end 0', 'start 1', 'end 1', 'start 2', 'end 2']);
  });

  it('keeps going after a section throws, and passes the error to its caller', async () => {
    const lock = new SerialLock(true);
    await expect(lock.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(lock.run(async () => 42)).resolves.toBe(42);
  });

  it('is re-entrant within one call chain instead of deadlocking', async () => {
    const lock = new SerialLock(true);
    await expect(lock.run(() => lock.run(async () => 'inner'))).resolves.toBe('inner');
  });

  it('lets sections overlap when disabled (PostgreSQL has a connection per transaction)', async () => {
    const lock = new SerialLock(false);
    let inside = 0;
    let maxInside = 0;
    await Promise.all(
      [1, 2, 3].map(() =>
        lock.run(async () => {
          inside++;
          maxInside = Math.max(maxInside, inside);
          await sleep(2);
          inside--;
        }),
      ),
    );
    expect(maxInside).toBe(3);
  });
});
