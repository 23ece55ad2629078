import { randomInt } from 'node:crypto';
import { __resetOutOfContextForTests } from 'nestjs-pino/PinoLogger';
import type { DestinationStream } from 'pino';
import { computeCheckDigit } from '../../src/modules/identity/domain/id-number';

/** Region 330802 (衢州市柯城区). */
const REGION = '330802';

let nextDay = 0;

/**
 * A valid resident ID number that no other call in this test process returns: each call takes the next
 * birth date from 1970-01-01 on, so random sequence numbers cannot collide within a database.
 */
export function distinctIdNumber(opts: { checkChar?: string } = {}): string {
  const birth = new Date(Date.UTC(1970, 0, 1) + nextDay++ * 86_400_000);
  const ymd = birth.toISOString().slice(0, 10).replace(/-/g, '');
  for (;;) {
    const first17 = `${REGION}${ymd}${String(randomInt(0, 1000)).padStart(3, '0')}`;
    const check = computeCheckDigit(first17);
    if (!opts.checkChar || check === opts.checkChar) return first17 + check;
  }
}

/** An 18-character number with a correct check digit for the given (possibly impossible) birth date. */
export function idNumberWithBirth(yyyymmdd: string, seq = '123'): string {
  const first17 = `${REGION}${yyyymmdd}${seq}`;
  return first17 + computeCheckDigit(first17);
}

/** The same number with a check character that is certainly wrong. */
export function withWrongCheckDigit(id: string): string {
  const right = id[17];
  const wrong = right === '0' ? '1' : '0';
  return id.slice(0, 17) + wrong;
}

/** `3308**********1234`: first 4, ten stars, last 4. */
export const expectedMask = (id: string) => `${id.slice(0, 4)}${'*'.repeat(10)}${id.slice(-4)}`;

/** A pino destination that keeps every line, for assertions on what was (not) logged. */
export class LogCapture implements DestinationStream {
  readonly lines: string[] = [];

  write(line: string): void {
    this.lines.push(line);
  }

  get text(): string {
    return this.lines.join('');
  }

  entries(): Array<Record<string, unknown>> {
    return this.lines.flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  }

  /** pino-http writes its line on the response's 'finish', which may come just after the client has the answer. */
  async waitFor(pred: (entry: Record<string, unknown>) => boolean, timeoutMs = 3000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.entries().find(pred);
      if (hit) return hit;
      if (Date.now() > deadline) throw new Error(`no log line matched within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/**
 * nestjs-pino keeps the logger used outside requests (boot, ensureAdmin, timers) in a module-level
 * variable set by the first app of the process: a second app in the same test file would write its
 * boot lines to the first app's stream. Call this right before createTestApp({ logStream }) so the new
 * app's own stream receives them. (create-test-app.ts should do this itself; see the report.)
 */
export const useFreshBootLogger = (): void => __resetOutOfContextForTests();

/** The log entry pino-http writes for a finished request to `path` with `status`. */
export const requestLine = (method: string, path: string, status: number) => (e: Record<string, unknown>) => {
  const req = e.req as { method?: string; path?: string } | undefined;
  const res = e.res as { statusCode?: number } | undefined;
  return req?.method === method && req?.path === path && res?.statusCode === status;
};

/** Keys of an error body, sorted: every error answers exactly these. */
export const ERROR_KEYS = ['code', 'error', 'message', 'statusCode'];
