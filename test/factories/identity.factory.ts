import { randomInt } from 'node:crypto';
import { computeCheckDigit } from '../../src/modules/identity/domain/id-number';
import { bearer, TestApp } from '../utils/create-test-app';

/**
 * A valid resident ID number: region 330802 (衢州市柯城区), the given birth date (by default a random one in 1975–1999,
 * so that two registrations in one test rarely share a number: one fixed date left 500 numbers per gender, and a test
 * registering a few workers met a taken one now and then), a random sequence.
 */
export function validIdNumber(birth = randomBirthDate(), gender: 'M' | 'F' = 'M'): string {
  let seq = randomInt(0, 999);
  if ((seq % 2 === 1) !== (gender === 'M')) seq = (seq + 1) % 1000;
  const first17 = `330802${birth}${String(seq).padStart(3, '0')}`;
  return first17 + computeCheckDigit(first17);
}

function randomBirthDate(): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${randomInt(1975, 2000)}${pad(randomInt(1, 13))}${pad(randomInt(1, 29))}`;
}

let counter = 0;
export const uniqueUsername = (base = 'user') => `${base}${Date.now().toString(36)}${(counter++).toString(36)}`;

export async function createOrganization(t: TestApp, token: string, body: { name: string; level: string; parentId?: string }): Promise<{ id: string; name: string; level: string; parentId: string | null }> {
  const res = await t.http().post('/api/organizations').set(bearer(token)).send(body);
  if (res.status !== 201) throw new Error(`create organization failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** 衢州市总工会 → 柯城区总工会 → 国网衢州供电公司工会 (+ a second county and enterprise for scope tests). */
export async function createOrgTree(t: TestApp) {
  const admin = await t.adminToken();
  const city = await createOrganization(t, admin, { name: '衢州市总工会', level: 'city' });
  const county = await createOrganization(t, admin, { name: '柯城区总工会', level: 'county', parentId: city.id });
  const enterprise = await createOrganization(t, admin, { name: '国网衢州供电公司工会', level: 'enterprise', parentId: county.id });
  const otherCounty = await createOrganization(t, admin, { name: '衢江区总工会', level: 'county', parentId: city.id });
  const otherEnterprise = await createOrganization(t, admin, { name: '巨化集团工会', level: 'enterprise', parentId: otherCounty.id });
  return { city, county, enterprise, otherCounty, otherEnterprise };
}

export async function createUser(t: TestApp, token: string, body: { username?: string; password?: string; displayName?: string; roles: string[]; organizationId?: string }) {
  const payload = { username: uniqueUsername(body.roles[0]), password: 'password-123', displayName: '测试用户', ...body };
  const res = await t.http().post('/api/users').set(bearer(token)).send(payload);
  if (res.status !== 201) throw new Error(`create user failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { ...res.body, password: payload.password, token: await t.login(payload.username, payload.password) };
}

export function workerRegistration(employerOrgId: string, over: Record<string, unknown> = {}) {
  return {
    username: uniqueUsername('worker'),
    password: 'password-123',
    name: '张小明',
    idNumber: validIdNumber(),
    phone: '13800001234',
    employerOrgId,
    trade: '电工',
    skillLevel: 3,
    ...over,
  };
}
