import { randomInt } from 'node:crypto';
import { computeCheckDigit } from '../../src/modules/identity/domain/id-number';
import { BENCH_ADMIN } from './child-server';

/** A small JSON client for setting a benchmark up through the real HTTP API. */
export class Api {
  constructor(readonly baseUrl: string) {}

  async call<T = any>(method: string, path: string, opts: { token?: string; body?: unknown; expect?: number } = {}): Promise<T> {
    const res = await fetch(this.baseUrl + path, {
      method,
      headers: { ...(opts.token ? { Authorization: `Bearer ${opts.token}` } : {}), ...(opts.body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
      body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
    }).catch((e: Error & { cause?: unknown }) => {
      throw new Error(`${method} ${path}: ${e.message} (${String((e.cause as Error | undefined)?.message ?? e.cause)})`);
    });
    const text = await res.text();
    const expect = opts.expect ?? (method === 'POST' ? 201 : 200);
    if (res.status !== expect) throw new Error(`${method} ${path}: expected ${expect}, got ${res.status} ${text.slice(0, 500)}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  async login(username: string, password: string): Promise<string> {
    return (await this.call<{ accessToken: string }>('POST', '/api/auth/login', { body: { username, password }, expect: 200 })).accessToken;
  }

  adminToken(): Promise<string> {
    return this.login(BENCH_ADMIN.username, BENCH_ADMIN.password);
  }

  createOrg(token: string, body: { name: string; level: string; parentId?: string }): Promise<{ id: string; path?: string }> {
    return this.call('POST', '/api/organizations', { token, body });
  }

  /** A user with the given roles, and its access token. */
  async createUser(adminToken: string, username: string, roles: string[], organizationId: string): Promise<{ id: string; token: string }> {
    const password = 'bench-password-1';
    const u = await this.call<{ id: string }>('POST', '/api/users', { token: adminToken, body: { username, password, displayName: username, roles, organizationId } });
    return { id: u.id, token: await this.login(username, password) };
  }

  transition(token: string, competitionId: string, to: string): Promise<unknown> {
    return this.call('POST', `/api/competitions/${competitionId}/transitions`, { token, body: { to }, expect: 200 });
  }
}

/** Runs fn over items, `width` at a time. */
export async function inGroups<T, R>(items: T[], width: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i], i);
      }
    }),
  );
  return out;
}

let born = 0;
/** A valid resident ID number no other call in this process returns (each takes the next birth day from 1975 on). */
export function distinctIdNumber(): string {
  const ymd = new Date(Date.UTC(1975, 0, 1) + born++ * 86_400_000).toISOString().slice(0, 10).replace(/-/g, '');
  const first17 = `330802${ymd}${String(randomInt(0, 1000)).padStart(3, '0')}`;
  return first17 + computeCheckDigit(first17);
}

export interface CriterionSpec {
  key: string;
  name: string;
  maxScore: number;
  type: 'measurement' | 'judgement';
  judgesRequired: number;
  aggregation: 'single' | 'mean' | 'trimmed_mean' | 'median';
}

/** Two sections (theory 30 %, practical 70 %) of six criteria each, max 10 points per criterion. */
export function twelveCriteria(judgesRequired: number, aggregation: (section: number, i: number) => CriterionSpec['aggregation']) {
  const section = (s: number, key: string, name: string, weight: number) => ({
    key,
    name,
    weight,
    criteria: Array.from({ length: 6 }, (_, i): CriterionSpec => ({
      key: `${key}${i + 1}`,
      name: `${name}${i + 1}`,
      maxScore: 10,
      type: s === 0 ? 'measurement' : 'judgement',
      judgesRequired,
      aggregation: aggregation(s, i),
    })),
  });
  return { sections: [section(0, 'theory', '理论知识', 30), section(1, 'practical', '技能操作', 70)] };
}

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** A competition body (API.md shape) owned by `organizationId`, enrolment open around now, no quota or age rules. */
export function competitionBody(organizationId: string, title: string, scoring: unknown) {
  const now = Date.now();
  return {
    title,
    kind: 'skills',
    level: 'city',
    trade: '电工',
    organizationId,
    contestantType: 'individual',
    schedule: { enrolmentOpensAt: iso(now - DAY / 24), enrolmentClosesAt: iso(now + 7 * DAY), startsAt: iso(now + 8 * DAY), endsAt: iso(now + 9 * DAY) },
    enrolmentRules: {},
    scoring,
    tieBreakers: [
      { by: 'section', key: 'practical', order: 'desc' },
      { by: 'timeUsed', order: 'asc' },
    ],
    awardRules: [{ fromRank: 1, toRank: 3, award: 'technical_expert', minTotal: 60 }],
    publicityDays: 5,
    medalPolicy: 'direct',
  };
}
