import { gzipSync } from 'node:zlib';
import type { Response } from 'supertest';
import { bearer, createTestApp, randomUUID, TestApp } from '../utils/create-test-app';
import { createOrganization, createUser, workerRegistration } from '../factories/identity.factory';
import { distinctIdNumber, ERROR_KEYS } from '../factories/identity-extra.factory';
import { Worker } from '../../src/modules/identity/worker.entity';

describe('errors and operations (e2e)', () => {
  let t: TestApp;
  let admin: string;
  let organizer: string;
  let orgId: string;
  /** Every response of this file: none may be a 500, and every 4xx has exactly the error shape. */
  const seen: Array<{ what: string; res: Response }> = [];

  const record = (what: string, res: Response): Response => {
    seen.push({ what, res });
    return res;
  };
  const expectError = (res: Response, status: number, code?: string) => {
    expect(res.status).toBe(status);
    expect(Object.keys(res.body).sort()).toEqual(ERROR_KEYS);
    expect(res.body.statusCode).toBe(status);
    expect(typeof res.body.error).toBe('string');
    if (code) expect(res.body.code).toBe(code);
  };
  const messages = (res: Response): string[] => (Array.isArray(res.body.message) ? res.body.message : [res.body.message]);

  beforeAll(async () => {
    t = await createTestApp();
    admin = await t.adminToken();
    const city = await createOrganization(t, admin, { name: '衢州市总工会', level: 'city' });
    orgId = city.id;
    organizer = (await createUser(t, admin, { roles: ['organizer'], organizationId: city.id })).token;
  });
  afterAll(async () => t?.dispose());

  describe('validation', () => {
    it('refuses an unknown property with 400 VALIDATION_FAILED naming it', async () => {
      const res = record('unknown property', await t.http().post('/api/auth/login').send({ username: 'admin', password: 'whatever-1', foo: 1 }));
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(messages(res).some((m) => m.includes('property foo should not exist'))).toBe(true);
    });

    it('refuses an unknown property on an authenticated route with 400 naming it, creating nothing', async () => {
      const res = record('unknown property (org)', await t.http().post('/api/organizations').set(bearer(admin)).send({ name: '某区', level: 'county', parentId: orgId, isAdmin: true }));
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(messages(res).some((m) => m.includes('property isAdmin should not exist'))).toBe(true);
      const children = await t.http().get(`/api/organizations/${orgId}/children`).set(bearer(admin));
      expect(children.body).toEqual([]);
    });

    it('refuses skillLevel "three" with 400 naming skillLevel, storing nothing', async () => {
      const res = record('wrong type', await t.http().post('/api/auth/register').send(workerRegistration(orgId, { idNumber: distinctIdNumber(), skillLevel: 'three' })));
      expectError(res, 400, 'VALIDATION_FAILED');
      const aboutSkill = messages(res).filter((m) => m.startsWith('skillLevel'));
      expect(aboutSkill.length).toBeGreaterThan(0);
      expect(messages(res).every((m) => m.startsWith('skillLevel'))).toBe(true);
      expect(await t.db.run((m) => m.count(Worker))).toBe(0);
    });

    it('names every wrong field at once', async () => {
      const res = record('several wrong', await t.http().post('/api/auth/register').send({ username: 'a', password: 123, name: '', idNumber: 330802, employerOrgId: 'nope', skillLevel: 9, phone: 'call me' }));
      expectError(res, 400, 'VALIDATION_FAILED');
      const fields = new Set(messages(res).map((m) => m.split(/[ :]/)[0]));
      expect([...fields].sort()).toEqual(['employerOrgId', 'idNumber', 'name', 'password', 'phone', 'skillLevel', 'username']);
    });

    it('refuses a missing body with 400, not 500', async () => {
      const res = record('missing body', await t.http().post('/api/auth/login'));
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(messages(res).some((m) => m.includes('username'))).toBe(true);
    });

    it.each([
      ['a JSON array', '[]'],
      ['a JSON array of objects', '[{"username":"admin","password":"x"}]'],
    ])('refuses %s as a body with 400 VALIDATION_FAILED, not 500', async (label, raw) => {
      const res = record(label, await t.http().post('/api/auth/login').set('Content-Type', 'application/json').send(raw));
      expectError(res, 400, 'VALIDATION_FAILED');
    });

    it.each([
      ['a JSON string', '"admin"'],
      ['a JSON number', '42'],
      ['JSON null', 'null'],
    ])('refuses %s as a body (not an object) with 400 MALFORMED_JSON', async (label, raw) => {
      const res = record(label, await t.http().post('/api/auth/login').set('Content-Type', 'application/json').send(raw));
      expectError(res, 400, 'MALFORMED_JSON');
    });

    it('refuses a nested object where a string belongs with 400 naming the field', async () => {
      const res = record('nested object', await t.http().post('/api/auth/login').send({ username: { $ne: null }, password: ['a'] }));
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(messages(res).some((m) => m.startsWith('username'))).toBe(true);
      expect(messages(res).some((m) => m.startsWith('password'))).toBe(true);
    });

    it('ignores a __proto__ key instead of polluting or crashing (400 or 401, never 500)', async () => {
      const res = record('__proto__', await t.http().post('/api/auth/login').set('Content-Type', 'application/json').send('{"username":"admin","password":"x","__proto__":{"roles":["admin"]}}'));
      expect([400, 401]).toContain(res.status);
      expect(({} as Record<string, unknown>).roles).toBeUndefined();
    });

    it('refuses an invalid role name with 400 naming roles', async () => {
      const res = record('bad role', await t.http().post('/api/users').set(bearer(admin)).send({ username: 'someone', password: 'password-123', displayName: 'x', roles: ['superuser'] }));
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(messages(res).some((m) => m.startsWith('roles'))).toBe(true);
    });

    it('refuses an unknown organization level with 400 naming level', async () => {
      const res = record('bad level', await t.http().post('/api/organizations').set(bearer(admin)).send({ name: '某地', level: 'galaxy' }));
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(messages(res).some((m) => m.startsWith('level'))).toBe(true);
    });
  });

  describe('body parsing', () => {
    it('refuses malformed JSON with 400 MALFORMED_JSON, without quoting the body back', async () => {
      const res = record('malformed JSON', await t.http().post('/api/auth/login').set('Content-Type', 'application/json').send('{"username": "admin", "password": "hunter2-secret" '));
      expectError(res, 400, 'MALFORMED_JSON');
      expect(res.body.message).toBe('request body is not valid JSON');
      expect(JSON.stringify(res.body)).not.toContain('hunter2-secret');
    });

    it('refuses malformed JSON with a charset parameter in the content type with 400 MALFORMED_JSON', async () => {
      const res = record('malformed JSON charset', await t.http().post('/api/auth/register').set('Content-Type', 'application/json; charset=utf-8').send('{"username": }'));
      expectError(res, 400, 'MALFORMED_JSON');
    });

    it('refuses malformed JSON on an authenticated route with 400 MALFORMED_JSON too', async () => {
      const res = record('malformed JSON (org)', await t.http().post('/api/organizations').set(bearer(admin)).set('Content-Type', 'application/json').send("{name: '某区'}"));
      expectError(res, 400, 'MALFORMED_JSON');
    });

    it('refuses a body over 1 MB with 413 PAYLOAD_TOO_LARGE', async () => {
      const big = JSON.stringify({ username: 'admin', password: 'x'.repeat(1024 * 1024 + 10) });
      const res = record('too large', await t.http().post('/api/auth/login').set('Content-Type', 'application/json').send(big));
      expectError(res, 413, 'PAYLOAD_TOO_LARGE');
    });

    it('accepts a body just under 1 MB as far as parsing goes (then refuses the over-long field with 400)', async () => {
      const body = JSON.stringify({ username: 'admin', password: 'x'.repeat(1000 * 1000) });
      const res = record('just under', await t.http().post('/api/auth/login').set('Content-Type', 'application/json').send(body));
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(messages(res).some((m) => m.startsWith('password'))).toBe(true);
    });

    it('refuses an unsupported charset or Content-Encoding with 415 UNSUPPORTED_MEDIA_TYPE', async () => {
      const charset = record('charset', await t.http().post('/api/auth/login').set('Content-Type', 'application/json; charset=klingon').send('{"username":"a","password":"b"}'));
      expectError(charset, 415, 'UNSUPPORTED_MEDIA_TYPE');
      const enc = record('unknown encoding', await t.http().post('/api/auth/login').set('Content-Type', 'application/json').set('Content-Encoding', 'nonsense').send('{}'));
      expectError(enc, 415, 'UNSUPPORTED_MEDIA_TYPE');
      for (const name of ['constructor', '__proto__', 'toString']) {
        const odd = record(`encoding ${name}`, await t.http().post('/api/auth/login').set('Content-Type', 'application/json').set('Content-Encoding', name).send('{}'));
        expectError(odd, 415, 'UNSUPPORTED_MEDIA_TYPE');
      }
    });

    it.each([['gzip'], ['deflate'], ['br']])('refuses a body that is not valid %s with 400 MALFORMED_BODY, not 500', async (encoding) => {
      const res = record(`bad ${encoding}`, await t.http().post('/api/auth/login').set('Content-Type', 'application/json').set('Content-Encoding', encoding).send('this is not compressed at all'));
      expectError(res, 400, 'MALFORMED_BODY');
    });

    it('accepts a gzip-compressed JSON body', async () => {
      const res = await t.http().post('/api/auth/login').set('Content-Type', 'application/json').set('Content-Encoding', 'gzip').serialize((b: unknown) => b as string).send(gzipSync(JSON.stringify({ username: 'admin', password: 'admin-password-1' })));
      expect(res.status).toBe(200);
      expect(typeof res.body.accessToken).toBe('string');
    });

    it('limits the decompressed body: 2 MB of JSON in a few KB of gzip is 413 PAYLOAD_TOO_LARGE', async () => {
      const bomb = gzipSync(JSON.stringify({ username: 'admin', password: ' '.repeat(2 * 1024 * 1024) }));
      expect(bomb.length).toBeLessThan(64 * 1024);
      const res = record('gzip bomb', await t.http().post('/api/auth/login').set('Content-Type', 'application/json').set('Content-Encoding', 'gzip').serialize((b: unknown) => b as string).send(bomb));
      expectError(res, 413, 'PAYLOAD_TOO_LARGE');
    });

    it('refuses a body that is not JSON (text/plain, a form) with 415 UNSUPPORTED_MEDIA_TYPE', async () => {
      const text = record('text/plain', await t.http().post('/api/auth/login').set('Content-Type', 'text/plain').send('username=admin'));
      expectError(text, 415, 'UNSUPPORTED_MEDIA_TYPE');
      const form = record('form', await t.http().post('/api/auth/login').type('form').send({ username: 'admin', password: 'x' }));
      expectError(form, 415, 'UNSUPPORTED_MEDIA_TYPE');
    });

    it('takes an empty JSON body as no body: 400 VALIDATION_FAILED naming the missing fields', async () => {
      const res = record('empty JSON', await t.http().post('/api/auth/login').set('Content-Type', 'application/json').send(''));
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(messages(res).some((m) => m.includes('username'))).toBe(true);
    });

    it('refuses gzip-compressed malformed JSON with 400 MALFORMED_JSON', async () => {
      const res = record('gzip malformed', await t.http().post('/api/auth/login').set('Content-Type', 'application/json').set('Content-Encoding', 'gzip').serialize((b: unknown) => b as string).send(gzipSync('{"username": ')));
      expectError(res, 400, 'MALFORMED_JSON');
    });
  });

  describe('paths', () => {
    it.each([
      ['/api/workers/not-a-uuid'],
      ['/api/workers/12345'],
      ['/api/organizations/xyz/children'],
      ['/api/organizations/00000000-0000-0000-0000-00000000000g'],
    ])('refuses the malformed UUID in %s with 400 naming id', async (path) => {
      const res = record(path, await t.http().get(path).set(bearer(admin)));
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(messages(res).some((m) => m.startsWith('id'))).toBe(true);
    });

    it('refuses a badly percent-encoded path parameter with 400, not 500', async () => {
      const res = record('bad percent-encoding', await t.http().get('/api/workers/%E0%A4%A').set(bearer(admin)));
      expectError(res, 400, 'BAD_REQUEST');
    });

    it('refuses a path parameter over 1,000 characters with 400 in the error shape, without quoting the URL back', async () => {
      const long = 'q'.repeat(1001);
      const res = record('long param', await t.http().get(`/api/workers/${long}`).set(bearer(admin)));
      expectError(res, 400, 'BAD_REQUEST');
      expect(JSON.stringify(res.body)).not.toContain(long.slice(0, 100));
    });

    it('answers an unknown organization id with 404 ORGANIZATION_NOT_FOUND', async () => {
      const res = record('unknown org', await t.http().get(`/api/organizations/${randomUUID()}/children`).set(bearer(admin)));
      expectError(res, 404, 'ORGANIZATION_NOT_FOUND');
    });

    it('answers an unknown parent on organization creation with 422 naming parentId', async () => {
      const res = record('unknown parent', await t.http().post('/api/organizations').set(bearer(admin)).send({ name: '某区', level: 'county', parentId: randomUUID() }));
      expectError(res, 422, 'PARENT_NOT_FOUND');
      expect(res.body.message).toContain('parentId');
    });

    it('refuses an organization at or above its parent’s level with 422', async () => {
      const res = record('level not below', await t.http().post('/api/organizations').set(bearer(admin)).send({ name: '某省', level: 'province', parentId: orgId }));
      expectError(res, 422, 'LEVEL_NOT_BELOW_PARENT');
    });

    it('answers an unknown route and a wrong method with 404 in the error shape', async () => {
      expectError(record('unknown route', await t.http().get('/api/no-such-thing')), 404, 'NOT_FOUND');
      expectError(record('wrong method', await t.http().delete('/api/auth/login')), 404, 'NOT_FOUND');
    });
  });

  describe('operations', () => {
    it('serves an OpenAPI document at /api/docs-json listing /api/auth/login', async () => {
      const res = await t.http().get('/api/docs-json');
      expect(res.status).toBe(200);
      expect(res.body.openapi).toMatch(/^3\./);
      expect(res.body.paths).toHaveProperty(['/api/auth/login']);
      expect(res.body.paths['/api/auth/login']).toHaveProperty('post');
      expect(res.body.paths).toHaveProperty(['/api/auth/register']);
      expect(res.body.paths).toHaveProperty(['/api/organizations']);
      expect(res.body.paths).toHaveProperty(['/api/users']);
    });

    it('serves the API docs UI at /api/docs without a token', async () => {
      const res = await t.http().get('/api/docs').redirects(1);
      expect(res.status).toBe(200);
      expect(res.text).toContain('swagger');
    });

    it('refuses the queue dashboard without a token with 401', async () => {
      const res = record('queues no token', await t.http().get('/admin/queues'));
      expectError(res, 401, 'UNAUTHENTICATED');
      const api = record('queues api no token', await t.http().get('/admin/queues/api/queues'));
      expectError(api, 401, 'UNAUTHENTICATED');
    });

    it('refuses the queue dashboard to a forged or garbage token with 401', async () => {
      expectError(record('queues garbage', await t.http().get('/admin/queues').set(bearer('abc.def.ghi'))), 401, 'UNAUTHENTICATED');
      expectError(record('queues garbage cookie', await t.http().get('/admin/queues').set('Cookie', 'access_token=abc.def.ghi')), 401, 'UNAUTHENTICATED');
    });

    it('refuses the queue dashboard to an organizer with 403, by header and by cookie', async () => {
      expectError(record('queues organizer', await t.http().get('/admin/queues').set(bearer(organizer))), 403, 'ROLE_REQUIRED');
      expectError(record('queues organizer cookie', await t.http().get('/admin/queues').set('Cookie', `access_token=${organizer}`)), 403, 'ROLE_REQUIRED');
      expectError(record('queues organizer api', await t.http().get('/admin/queues/api/queues').set(bearer(organizer))), 403, 'ROLE_REQUIRED');
    });

    it('serves the queue dashboard to an admin with a Bearer header', async () => {
      const res = await t.http().get('/admin/queues').set(bearer(admin));
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/text\/html/);
      const api = await t.http().get('/admin/queues/api/queues').set(bearer(admin));
      expect(api.status).toBe(200);
      expect(api.body.queues.map((q: { name: string }) => q.name)).toEqual(expect.arrayContaining(['domain-events', 'system']));
    });

    it('serves the queue dashboard to an admin with the access_token cookie', async () => {
      const res = await t.http().get('/admin/queues').set('Cookie', `theme=dark; access_token=${encodeURIComponent(admin)}`);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/text\/html/);
    });
  });

  it('never answered 500, and every error above had exactly {statusCode, error, code, message}', () => {
    expect(seen.length).toBeGreaterThan(20);
    const bad = seen.filter(({ res }) => res.status >= 500 || (res.status >= 400 && Object.keys(res.body).sort().join() !== ERROR_KEYS.join()));
    expect(bad.map(({ what, res }) => `${what}: ${res.status} ${JSON.stringify(res.body)}`)).toEqual([]);
  });
});
