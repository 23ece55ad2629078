import { JwtService } from '@nestjs/jwt';
import { EntityManager } from 'typeorm';
import { ADMIN, bearer, createTestApp, randomUUID, TestApp } from '../utils/create-test-app';
import { createOrganization, createOrgTree, createUser, uniqueUsername, workerRegistration } from '../factories/identity.factory';
import {
  distinctIdNumber,
  ERROR_KEYS,
  expectedMask,
  idNumberWithBirth,
  LogCapture,
  requestLine,
  useFreshBootLogger,
  withWrongCheckDigit,
} from '../factories/identity-extra.factory';
import { User } from '../../src/modules/identity/user.entity';
import { Worker } from '../../src/modules/identity/worker.entity';
import { WorkersService } from '../../src/modules/identity/workers.service';

async function waitUntil(cond: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

type Orgs = Awaited<ReturnType<typeof createOrgTree>>;
type Registered = { reg: ReturnType<typeof workerRegistration>; id: string; userId: string; token: string };

const MASKED_ID = /^\d{4}\*{10}\d{3}[\dX]$/;

describe('identity (e2e)', () => {
  let t: TestApp;
  let logs: LogCapture;
  let orgs: Orgs;
  let admin: string;
  let organizer: { id: string; username: string; password: string; token: string };
  let cityOrganizer: { token: string };
  /** Registered at orgs.enterprise (inside organizer's county). */
  let alice: Registered;
  /** Registered at orgs.otherEnterprise (outside organizer's county). */
  let bob: Registered;

  const countWorkers = () => t.db.run((m) => m.count(Worker));
  const countUsers = () => t.db.run((m) => m.count(User));

  async function register(employerOrgId: string, over: Record<string, unknown> = {}): Promise<Registered> {
    const reg = workerRegistration(employerOrgId, { idNumber: distinctIdNumber(), ...over });
    const res = await t.http().post('/api/auth/register').send(reg);
    if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
    return { reg, id: res.body.worker.id, userId: res.body.id, token: await t.login(reg.username, reg.password) };
  }

  const expectErrorShape = (body: Record<string, unknown>) => expect(Object.keys(body).sort()).toEqual(ERROR_KEYS);

  beforeAll(async () => {
    logs = new LogCapture();
    useFreshBootLogger();
    t = await createTestApp({ logStream: logs });
    admin = await t.adminToken();
    orgs = await createOrgTree(t);
    organizer = await createUser(t, admin, { roles: ['organizer'], organizationId: orgs.county.id, displayName: '柯城区组织者' });
    cityOrganizer = await createUser(t, admin, { roles: ['organizer'], organizationId: orgs.city.id });
    alice = await register(orgs.enterprise.id, { name: '张小明', phone: '13800001234' });
    bob = await register(orgs.otherEnterprise.id, { name: '李四', phone: '13911112222' });
  });
  afterAll(async () => t?.dispose());

  describe('login', () => {
    it('answers 200 with an access token and the user {id, username, displayName, roles, organizationId} for the right password', async () => {
      const res = await t.http().post('/api/auth/login').send({ username: alice.reg.username, password: alice.reg.password });
      expect(res.status).toBe(200);
      expect(typeof res.body.accessToken).toBe('string');
      expect(res.body.accessToken.split('.')).toHaveLength(3);
      expect(res.body.user).toMatchObject({
        id: alice.userId,
        username: alice.reg.username,
        displayName: alice.reg.name,
        roles: ['worker'],
        organizationId: orgs.enterprise.id,
      });
      expect(res.body.user).not.toHaveProperty('passwordHash');
      expect(JSON.stringify(res.body)).not.toContain(alice.reg.password);
      const me = await t.http().get('/api/auth/me').set(bearer(res.body.accessToken));
      expect(me.status).toBe(200);
      expect(me.body.id).toBe(alice.userId);
    });

    it('gives the admin from ADMIN_PASSWORD a token with the admin role and no organization', async () => {
      const res = await t.http().post('/api/auth/login').send(ADMIN);
      expect(res.status).toBe(200);
      expect(res.body.user).toMatchObject({ username: ADMIN.username, roles: ['admin'], organizationId: null });
    });

    it('answers 401 INVALID_CREDENTIALS for a wrong password', async () => {
      const res = await t.http().post('/api/auth/login').send({ username: alice.reg.username, password: 'wrong-password-1' });
      expect(res.status).toBe(401);
      expectErrorShape(res.body);
      expect(res.body).toMatchObject({ statusCode: 401, code: 'INVALID_CREDENTIALS' });
      expect(res.body).not.toHaveProperty('accessToken');
    });

    it('answers an unknown user exactly as a wrong password, so usernames cannot be probed', async () => {
      const wrong = await t.http().post('/api/auth/login').send({ username: alice.reg.username, password: 'wrong-password-1' });
      const unknown = await t.http().post('/api/auth/login').send({ username: 'nobody-' + randomUUID().slice(0, 8), password: 'wrong-password-1' });
      expect(unknown.status).toBe(401);
      expect(unknown.body).toEqual(wrong.body);
      expect(unknown.body.code).toBe('INVALID_CREDENTIALS');
    });

    it('refuses a protected route without a token with 401 UNAUTHENTICATED', async () => {
      for (const path of ['/api/auth/me', '/api/workers/me', `/api/workers/${alice.id}`]) {
        const res = await t.http().get(path);
        expect(res.status).toBe(401);
        expectErrorShape(res.body);
        expect(res.body.code).toBe('UNAUTHENTICATED');
      }
      const post = await t.http().post('/api/organizations').send({ name: 'x', level: 'city' });
      expect(post.status).toBe(401);
    });

    it.each([
      ['a garbage token', 'not-a-token'],
      ['a token of three garbage segments', 'abc.def.ghi'],
      ['an empty bearer token', ''],
    ])('refuses %s with 401', async (_label, token) => {
      const res = await t.http().get('/api/auth/me').set('Authorization', `Bearer ${token}`);
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('UNAUTHENTICATED');
    });

    it('refuses an admin token forged with another secret, an unsigned (alg none) token, a tampered payload and an expired token', async () => {
      const claims = { sub: alice.userId, usr: alice.reg.username, roles: ['admin'], org: null, wkr: null };
      const forged = new JwtService({ secret: 'x'.repeat(48) }).sign(claims, { algorithm: 'HS256', issuer: 'labour-contest', expiresIn: 3600 });
      const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims, iss: 'labour-contest', exp: Math.floor(Date.now() / 1000) + 3600 })}.`;
      const [h, p, s] = alice.token.split('.');
      const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
      const tampered = `${h}.${b64({ ...payload, roles: ['admin'] })}.${s}`;
      const expired = new JwtService({ secret: t.config.jwtSecret }).sign(
        { ...claims, roles: ['worker'], iat: Math.floor(Date.now() / 1000) - 7200, exp: Math.floor(Date.now() / 1000) - 3600 },
        { algorithm: 'HS256', issuer: 'labour-contest' },
      );
      for (const token of [forged, unsigned, tampered, expired]) {
        const me = await t.http().get('/api/auth/me').set(bearer(token));
        expect(me.status).toBe(401);
        expect(me.body.code).toBe('UNAUTHENTICATED');
        const create = await t.http().post('/api/organizations').set(bearer(token)).send({ name: '伪造', level: 'city' });
        expect(create.status).toBe(401);
      }
    });
  });

  describe('role refusals and organization scope', () => {
    it('refuses a worker creating an organization with 403 ROLE_REQUIRED', async () => {
      const res = await t.http().post('/api/organizations').set(bearer(alice.token)).send({ name: '私设工会', level: 'team', parentId: orgs.enterprise.id });
      expect(res.status).toBe(403);
      expectErrorShape(res.body);
      expect(res.body.code).toBe('ROLE_REQUIRED');
    });

    it('refuses a worker creating a user with 403 ROLE_REQUIRED', async () => {
      const res = await t.http().post('/api/users').set(bearer(alice.token)).send({ username: uniqueUsername('x'), password: 'password-123', displayName: 'x', roles: ['worker'], organizationId: orgs.enterprise.id });
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('ROLE_REQUIRED');
    });

    it.each([['organizer'], ['admin']])('refuses an organizer creating a user with the role %s with 403, creating nothing', async (role) => {
      const before = await countUsers();
      const res = await t.http().post('/api/users').set(bearer(organizer.token)).send({ username: uniqueUsername(role), password: 'password-123', displayName: '越权', roles: [role], organizationId: orgs.enterprise.id });
      expect(res.status).toBe(403);
      expectErrorShape(res.body);
      expect(res.body.message).toContain(role);
      expect(await countUsers()).toBe(before);
    });

    it('refuses an organizer creating a user holding judge plus organizer with 403', async () => {
      const res = await t.http().post('/api/users').set(bearer(organizer.token)).send({ username: uniqueUsername('mix'), password: 'password-123', displayName: '混合', roles: ['judge', 'organizer'], organizationId: orgs.county.id });
      expect(res.status).toBe(403);
    });

    it('lets an organizer create an organization under its own county (201) but refuses one under another county with 403 OUT_OF_SCOPE', async () => {
      const inside = await t.http().post('/api/organizations').set(bearer(organizer.token)).send({ name: '柯城区某街道工会', level: 'township', parentId: orgs.county.id });
      expect(inside.status).toBe(201);
      expect(inside.body).toMatchObject({ name: '柯城区某街道工会', level: 'township', parentId: orgs.county.id });
      const outside = await t.http().post('/api/organizations').set(bearer(organizer.token)).send({ name: '衢江区某企业工会', level: 'enterprise', parentId: orgs.otherCounty.id });
      expect(outside.status).toBe(403);
      expectErrorShape(outside.body);
      expect(outside.body.code).toBe('OUT_OF_SCOPE');
      const children = await t.http().get(`/api/organizations/${orgs.otherCounty.id}/children`).set(bearer(admin));
      expect(children.body.map((o: { name: string }) => o.name)).not.toContain('衢江区某企业工会');
    });

    it('refuses an organizer creating an organization above its own (under the city) or at the top level with 403 OUT_OF_SCOPE', async () => {
      const sibling = await t.http().post('/api/organizations').set(bearer(organizer.token)).send({ name: '另一个区', level: 'county', parentId: orgs.city.id });
      expect(sibling.status).toBe(403);
      expect(sibling.body.code).toBe('OUT_OF_SCOPE');
      const top = await t.http().post('/api/organizations').set(bearer(organizer.token)).send({ name: '顶级', level: 'province' });
      expect(top.status).toBe(403);
      expect(top.body.code).toBe('OUT_OF_SCOPE');
    });

    it('lets an organizer create a judge in its own subtree (201) but refuses a judge in another county with 403 OUT_OF_SCOPE', async () => {
      const inside = await t.http().post('/api/users').set(bearer(organizer.token)).send({ username: uniqueUsername('judge'), password: 'password-123', displayName: '裁判甲', roles: ['judge'], organizationId: orgs.enterprise.id });
      expect(inside.status).toBe(201);
      expect(inside.body).toMatchObject({ roles: ['judge'], organizationId: orgs.enterprise.id });
      expect(inside.body).not.toHaveProperty('passwordHash');
      const before = await countUsers();
      const outside = await t.http().post('/api/users').set(bearer(organizer.token)).send({ username: uniqueUsername('judge'), password: 'password-123', displayName: '裁判乙', roles: ['judge'], organizationId: orgs.otherEnterprise.id });
      expect(outside.status).toBe(403);
      expectErrorShape(outside.body);
      expect(outside.body.code).toBe('OUT_OF_SCOPE');
      expect(await countUsers()).toBe(before);
    });

    it('refuses a user for an organization that does not exist with 422 naming organizationId', async () => {
      const res = await t.http().post('/api/users').set(bearer(admin)).send({ username: uniqueUsername('ghost'), password: 'password-123', displayName: '幽灵', roles: ['judge'], organizationId: randomUUID() });
      expect(res.status).toBe(422);
      expectErrorShape(res.body);
      expect(res.body.code).toBe('ORGANIZATION_NOT_FOUND');
      expect(res.body.message).toContain('organizationId');
    });

    it('refuses an organizer creating a user without an organization with 400 naming organizationId', async () => {
      const res = await t.http().post('/api/users').set(bearer(organizer.token)).send({ username: uniqueUsername('noorg'), password: 'password-123', displayName: '无组织', roles: ['judge'] });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(JSON.stringify(res.body.message)).toContain('organizationId');
    });

    it('hides a worker outside an organizer’s subtree with 404, the same answer as for a worker that does not exist', async () => {
      const outside = await t.http().get(`/api/workers/${bob.id}`).set(bearer(organizer.token));
      expect(outside.status).toBe(404);
      expectErrorShape(outside.body);
      const missing = await t.http().get(`/api/workers/${randomUUID()}`).set(bearer(organizer.token));
      expect(missing.status).toBe(404);
      expect(outside.body).toEqual(missing.body);
      expect(JSON.stringify(outside.body)).not.toContain(bob.reg.name);
    });

    it('hides another worker from a worker with 404', async () => {
      const res = await t.http().get(`/api/workers/${bob.id}`).set(bearer(alice.token));
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('WORKER_NOT_FOUND');
      expect(JSON.stringify(res.body)).not.toContain(bob.reg.name);
    });

    it('hides a worker from a judge with 404', async () => {
      const judge = await createUser(t, organizer.token, { roles: ['judge'], organizationId: orgs.enterprise.id });
      const res = await t.http().get(`/api/workers/${alice.id}`).set(bearer(judge.token));
      expect(res.status).toBe(404);
    });
  });

  describe('registration', () => {
    it.each([
      ['a wrong check digit', () => withWrongCheckDigit(distinctIdNumber()), /check digit/],
      ['an impossible date (30 February)', () => idNumberWithBirth('19900230'), /not a real date/],
      ['an impossible date (month 13)', () => idNumberWithBirth('19901301'), /not a real date/],
      ['a birth date in the future', () => idNumberWithBirth('20990101'), /future/],
      ['17 characters', () => distinctIdNumber().slice(0, 17), /18 characters/],
      ['19 characters', () => distinctIdNumber() + '1', /18 characters/],
      ['a letter inside', () => { const id = distinctIdNumber(); return id.slice(0, 10) + 'A' + id.slice(11); }, /digit/],
    ])('refuses an ID number with %s with 400 VALIDATION_FAILED naming idNumber, storing nothing', async (_label, makeId, reason) => {
      const workersBefore = await countWorkers();
      const usersBefore = await countUsers();
      const reg = workerRegistration(orgs.enterprise.id, { idNumber: makeId() });
      const res = await t.http().post('/api/auth/register').send(reg);
      expect(res.status).toBe(400);
      expectErrorShape(res.body);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      const messages: string[] = Array.isArray(res.body.message) ? res.body.message : [res.body.message];
      const aboutId = messages.filter((m) => m.includes('idNumber'));
      expect(aboutId).toHaveLength(1);
      expect(aboutId[0]).toMatch(reason);
      expect(await countWorkers()).toBe(workersBefore);
      expect(await countUsers()).toBe(usersBefore);
      // The username was not taken by the failed attempt.
      const retry = await t.http().post('/api/auth/register').send({ ...reg, idNumber: distinctIdNumber() });
      expect(retry.status).toBe(201);
      expect(retry.body.username).toBe(reg.username);
      expect(await countWorkers()).toBe(workersBefore + 1);
    });

    it('refuses a taken username with 409 USERNAME_TAKEN and stores no second worker', async () => {
      const before = await countWorkers();
      const res = await t.http().post('/api/auth/register').send(workerRegistration(orgs.enterprise.id, { username: alice.reg.username, idNumber: distinctIdNumber() }));
      expect(res.status).toBe(409);
      expectErrorShape(res.body);
      expect(res.body.code).toBe('USERNAME_TAKEN');
      expect(await countWorkers()).toBe(before);
    });

    it('refuses an ID number registered already with 409, without echoing it, and leaves the username free', async () => {
      const before = await countWorkers();
      const reg = workerRegistration(orgs.enterprise.id, { idNumber: alice.reg.idNumber });
      const res = await t.http().post('/api/auth/register').send(reg);
      expect(res.status).toBe(409);
      expectErrorShape(res.body);
      expect(res.body.code).toBe('ID_NUMBER_REGISTERED');
      expect(JSON.stringify(res.body)).not.toContain(alice.reg.idNumber);
      expect(await countWorkers()).toBe(before);
      const retry = await t.http().post('/api/auth/register').send({ ...reg, idNumber: distinctIdNumber() });
      expect(retry.status).toBe(201);
    });

    it('treats a lower-case x check character as the same ID number as upper-case X', async () => {
      const id = distinctIdNumber({ checkChar: 'X' });
      const first = await t.http().post('/api/auth/register').send(workerRegistration(orgs.enterprise.id, { idNumber: id.toLowerCase() }));
      expect(first.status).toBe(201);
      expect(first.body.worker.idNumber).toBe(expectedMask(id));
      const token = await t.login(first.body.username, 'password-123');
      const me = await t.http().get('/api/workers/me').set(bearer(token));
      expect(me.body.idNumber).toBe(id);
      const again = await t.http().post('/api/auth/register').send(workerRegistration(orgs.enterprise.id, { idNumber: id }));
      expect(again.status).toBe(409);
      expect(again.body.code).toBe('ID_NUMBER_REGISTERED');
    });

    /**
     * Holds a transaction that has written a conflicting row, sends the registration, and commits only once
     * the request is waiting on that row (PostgreSQL: blocked on the unique index after its own duplicate
     * check passed; SQLite: queued behind the serial lock). The request must then answer 409, never 500.
     */
    async function registerAgainstHeldInsert(conflict: (m: EntityManager) => Promise<unknown>, reg: Record<string, unknown>) {
      let inserted!: () => void;
      let commit!: () => void;
      const insertedP = new Promise<void>((r) => (inserted = r));
      const gate = new Promise<void>((r) => (commit = r));
      const held = t.db.transaction(async (m) => {
        await conflict(m);
        inserted();
        await gate;
      });
      await insertedP;
      const pending = t.http().post('/api/auth/register').send(reg).then((r) => r);
      if (t.db.kind === 'postgres') {
        const schema = t.config.database.schema!;
        await waitUntil(async () => {
          const [row] = await t.db.run((m) =>
            m.query(`SELECT count(*)::int AS n FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE NOT l.granted AND a.query LIKE $1`, [`%${schema}%`]),
          );
          return row.n > 0;
        });
      } else {
        await new Promise((r) => setTimeout(r, 300));
      }
      commit();
      await held;
      return pending;
    }

    it('answers a registration racing another of the same ID number with 409 ID_NUMBER_REGISTERED, never 500', async () => {
      const idNumber = distinctIdNumber();
      const before = await countWorkers();
      const workers = t.app.get(WorkersService);
      const res = await registerAgainstHeldInsert(
        (m) => workers.insert(m, { name: '先到者', idNumber, employerOrgId: orgs.enterprise.id }),
        workerRegistration(orgs.enterprise.id, { idNumber }),
      );
      expect(res.status).toBe(409);
      expectErrorShape(res.body);
      expect(res.body.code).toBe('ID_NUMBER_REGISTERED');
      expect(await countWorkers()).toBe(before + 1);
    });

    it('answers a registration racing another of the same username with 409 USERNAME_TAKEN, never 500', async () => {
      const username = uniqueUsername('race');
      const before = await countWorkers();
      const res = await registerAgainstHeldInsert(
        (m) => m.insert(User, { id: randomUUID(), username, passwordHash: 'x', displayName: '先到者', roles: ['judge'], organizationId: null, workerId: null }),
        workerRegistration(orgs.enterprise.id, { username, idNumber: distinctIdNumber() }),
      );
      expect(res.status).toBe(409);
      expectErrorShape(res.body);
      expect(res.body.code).toBe('USERNAME_TAKEN');
      expect(await countWorkers()).toBe(before);
    });

    it('answers simultaneous registrations of one ID number with one 201 and the rest 409', async () => {
      const idNumber = distinctIdNumber();
      const before = await countWorkers();
      const answers = await Promise.all(
        Array.from({ length: 4 }, () => t.http().post('/api/auth/register').send(workerRegistration(orgs.enterprise.id, { idNumber }))),
      );
      expect(answers.map((r) => r.status).sort()).toEqual([201, 409, 409, 409]);
      expect(await countWorkers()).toBe(before + 1);
    });

    it('refuses a blank name with 400 naming name, and stores a padded name trimmed as both worker name and display name', async () => {
      const blank = await t.http().post('/api/auth/register').send(workerRegistration(orgs.enterprise.id, { idNumber: distinctIdNumber(), name: '   ' }));
      expect(blank.status).toBe(400);
      expect(blank.body.code).toBe('VALIDATION_FAILED');
      expect(blank.body.message.some((m: string) => m.startsWith('name'))).toBe(true);
      const padded = await t.http().post('/api/auth/register').send(workerRegistration(orgs.enterprise.id, { idNumber: distinctIdNumber(), name: ' 赵六 ' }));
      expect(padded.status).toBe(201);
      expect(padded.body.displayName).toBe('赵六');
      expect(padded.body.worker.name).toBe('赵六');
    });

    it('refuses a blank display name for a user and a blank organization name with 400', async () => {
      const user = await t.http().post('/api/users').set(bearer(admin)).send({ username: uniqueUsername('blank'), password: 'password-123', displayName: ' ', roles: ['judge'], organizationId: orgs.city.id });
      expect(user.status).toBe(400);
      expect(user.body.message.some((m: string) => m.startsWith('displayName'))).toBe(true);
      const org = await t.http().post('/api/organizations').set(bearer(admin)).send({ name: '  ', level: 'team', parentId: orgs.enterprise.id });
      expect(org.status).toBe(400);
      expect(org.body.message.some((m: string) => m.startsWith('name'))).toBe(true);
    });

    it('refuses an employerOrgId that does not exist with 422 naming employerOrgId', async () => {
      const before = await countWorkers();
      const res = await t.http().post('/api/auth/register').send(workerRegistration(randomUUID(), { idNumber: distinctIdNumber() }));
      expect(res.status).toBe(422);
      expectErrorShape(res.body);
      expect(res.body.code).toBe('EMPLOYER_NOT_FOUND');
      expect(res.body.message).toContain('employerOrgId');
      expect(await countWorkers()).toBe(before);
    });
  });

  describe('masking: everyone but the owner sees the ID number and phone masked', () => {
    let carol: Registered;
    let registerBody: Record<string, unknown> & { worker: Record<string, unknown> };

    beforeAll(async () => {
      const reg = workerRegistration(orgs.enterprise.id, { idNumber: distinctIdNumber(), name: '王小红', phone: '13712345678' });
      const res = await t.http().post('/api/auth/register').send(reg);
      expect(res.status).toBe(201);
      registerBody = res.body;
      carol = { reg, id: res.body.worker.id, userId: res.body.id, token: await t.login(reg.username, reg.password) };
    });

    it('shows the ID number as first 4 + ten stars + last 4 and the phone masked in the registration answer', () => {
      expect(registerBody.worker.idNumber).toMatch(MASKED_ID);
      expect(registerBody.worker.idNumber).toBe(expectedMask(carol.reg.idNumber));
      expect(registerBody.worker.idNumberMasked).toBe(true);
      expect(registerBody.worker.phone).toBe('137****5678');
      expect(registerBody).toMatchObject({ username: carol.reg.username, roles: ['worker'], organizationId: orgs.enterprise.id });
      const text = JSON.stringify(registerBody);
      expect(text).not.toContain(carol.reg.idNumber);
      expect(text).not.toContain(carol.reg.phone);
      expect(text).not.toContain(carol.reg.password);
    });

    it('shows the owner the full ID number and phone at GET /api/auth/me', async () => {
      const res = await t.http().get('/api/auth/me').set(bearer(carol.token));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: carol.userId, username: carol.reg.username, workerId: carol.id });
      expect(res.body.worker).toMatchObject({ id: carol.id, idNumber: carol.reg.idNumber, idNumberMasked: false, phone: carol.reg.phone, name: '王小红' });
    });

    it('shows the owner the full ID number at GET /api/workers/me and at GET /api/workers/:id of itself', async () => {
      const me = await t.http().get('/api/workers/me').set(bearer(carol.token));
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ id: carol.id, idNumber: carol.reg.idNumber, idNumberMasked: false, phone: carol.reg.phone });
      const byId = await t.http().get(`/api/workers/${carol.id}`).set(bearer(carol.token));
      expect(byId.status).toBe(200);
      expect(byId.body.idNumber).toBe(carol.reg.idNumber);
    });

    it.each([
      ['the county organizer (in scope)', () => organizer.token],
      ['the city organizer (ancestor of the county)', () => cityOrganizer.token],
      ['the admin', () => admin],
    ])('shows %s the ID number and phone masked, and the full ID number nowhere in the body', async (_label, token) => {
      const res = await t.http().get(`/api/workers/${carol.id}`).set(bearer(token()));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: carol.id, name: '王小红', idNumber: expectedMask(carol.reg.idNumber), idNumberMasked: true, phone: '137****5678', employerOrgId: orgs.enterprise.id });
      const text = JSON.stringify(res.body);
      expect(text).not.toContain(carol.reg.idNumber);
      expect(text).not.toContain(carol.reg.phone);
    });

    it('does not show another user’s worker profile through GET /api/auth/me or /api/workers/me of a non-worker', async () => {
      const me = await t.http().get('/api/auth/me').set(bearer(organizer.token));
      expect(me.status).toBe(200);
      expect(me.body.worker).toBeNull();
      const wm = await t.http().get('/api/workers/me').set(bearer(organizer.token));
      expect(wm.status).toBe(404);
      expect(JSON.stringify(me.body) + JSON.stringify(wm.body)).not.toContain(carol.reg.idNumber);
    });
  });

  describe('logs', () => {
    it('never contain an ID number, a password or a token, nor a query string carrying an ID number', async () => {
      const reg = workerRegistration(orgs.enterprise.id, { idNumber: distinctIdNumber(), password: 'secret-pass-' + randomUUID().slice(0, 8) });
      const r = await t.http().post('/api/auth/register').send(reg);
      expect(r.status).toBe(201);
      const login = await t.http().post('/api/auth/login').send({ username: reg.username, password: reg.password });
      expect(login.status).toBe(200);
      const token: string = login.body.accessToken;
      const failed = await t.http().post('/api/auth/login').send({ username: reg.username, password: reg.password + '-wrong' });
      expect(failed.status).toBe(401);
      const dup = await t.http().post('/api/auth/register').send({ ...reg, username: uniqueUsername('dup') });
      expect(dup.status).toBe(409);
      const malformed = await t.http().post('/api/auth/register').set('Content-Type', 'application/json').send(`{"idNumber":"${reg.idNumber}","password":"${reg.password}",`);
      expect(malformed.status).toBe(400);
      const withQuery = await t.http().get(`/api/auth/me?idNumber=${reg.idNumber}&password=${reg.password}`).set(bearer(token));
      expect(withQuery.status).toBe(200);
      // The cookie is read only by browser pages (the queue dashboard), never by API routes (CSRF).
      const cookie = await t.http().get('/api/auth/me').set('Cookie', `access_token=${token}`);
      expect(cookie.status).toBe(401);

      // The requests were logged (so the absence below means something) ...
      await logs.waitFor(requestLine('POST', '/api/auth/register', 201));
      await logs.waitFor(requestLine('POST', '/api/auth/login', 200));
      await logs.waitFor(requestLine('POST', '/api/auth/login', 401));
      await logs.waitFor(requestLine('POST', '/api/auth/register', 400));
      const meLine = await logs.waitFor(requestLine('GET', '/api/auth/me', 200));
      expect(JSON.stringify(meLine)).not.toContain('?');
      // ... and no line holds the ID number (in any case), the password or the token.
      const text = logs.text;
      expect(text).not.toContain(reg.idNumber);
      expect(text).not.toContain(reg.idNumber.slice(0, 17));
      expect(text).not.toContain(reg.password);
      expect(text).not.toContain(token);
      expect(text).not.toContain(token.split('.')[2]);
      for (const w of [alice, bob]) {
        expect(text).not.toContain(w.reg.idNumber);
        expect(text).not.toContain(w.token);
      }
      expect(text).not.toContain(ADMIN.password);
      expect(text).not.toContain('idNumber=');
    });
  });
});

describe('first-start admin (e2e)', () => {
  const apps: TestApp[] = [];
  afterAll(async () => {
    for (const a of apps.reverse()) await a.dispose();
  });

  const generatedPasswordIn = (logs: LogCapture): string[] =>
    logs.entries().flatMap((e) => {
      const m = /generated password[^:]*:\s*(\S+)\s*$/.exec(String(e.msg ?? ''));
      return m ? [m[1]] : [];
    });

  it('creates the admin with a random password logged once when ADMIN_PASSWORD is unset, and not again after a restart', async () => {
    const firstLogs = new LogCapture();
    useFreshBootLogger();
    const first = await createTestApp({ env: { ADMIN_PASSWORD: undefined }, logStream: firstLogs });
    apps.push(first);
    const passwords = generatedPasswordIn(firstLogs);
    expect(passwords).toHaveLength(1);
    const generated = passwords[0];
    expect(generated.length).toBeGreaterThanOrEqual(12);
    expect(firstLogs.lines.filter((l) => l.includes(generated))).toHaveLength(1);

    const login = await first.http().post('/api/auth/login').send({ username: ADMIN.username, password: generated });
    expect(login.status).toBe(200);
    expect(login.body.user.roles).toEqual(['admin']);
    const guessed = await first.http().post('/api/auth/login').send(ADMIN);
    expect(guessed.status).toBe(401);
    // The admin can act as one.
    const org = await createOrganization(first, login.body.accessToken, { name: '浙江省总工会', level: 'province' });
    expect(org.level).toBe('province');
    await first.close();

    const againLogs = new LogCapture();
    useFreshBootLogger();
    const again = await createTestApp({ reuse: first, env: { ADMIN_PASSWORD: undefined }, logStream: againLogs });
    apps.push(again);
    const admins = await again.db.run((m) => m.createQueryBuilder(User, 'u').where('u.roles LIKE :r', { r: '%"admin"%' }).getMany());
    expect(admins.map((u) => u.username)).toEqual([ADMIN.username]);
    // The restarted app's boot lines were captured, so their silence about a password means something.
    expect(againLogs.entries().some((e) => e.msg === 'Nest application successfully started')).toBe(true);
    expect(generatedPasswordIn(againLogs)).toHaveLength(0);
    expect(againLogs.text).not.toMatch(/generated password/i);
    expect(againLogs.text).not.toContain(generated);
    // The token and password from before the restart still work.
    expect((await again.http().get('/api/auth/me').set(bearer(login.body.accessToken))).status).toBe(200);
    expect((await again.http().post('/api/auth/login').send({ username: ADMIN.username, password: generated })).status).toBe(200);
  });

  it('creates the admin with ADMIN_PASSWORD when it is set, without logging it', async () => {
    const logs = new LogCapture();
    const password = 'set-by-env-' + randomUUID().slice(0, 8);
    useFreshBootLogger();
    const app = await createTestApp({ env: { ADMIN_PASSWORD: password }, logStream: logs });
    apps.push(app);
    const login = await app.http().post('/api/auth/login').send({ username: ADMIN.username, password });
    expect(login.status).toBe(200);
    expect(login.body.user).toMatchObject({ username: ADMIN.username, roles: ['admin'] });
    expect(logs.text).not.toContain(password);
    expect(generatedPasswordIn(logs)).toHaveLength(0);
    expect(logs.entries().some((e) => /first-start admin created/.test(String(e.msg)))).toBe(true);
  });

  it('does not change the admin password when ADMIN_PASSWORD changes after the first start', async () => {
    const first = await createTestApp({ env: { ADMIN_PASSWORD: 'original-password-1' } });
    apps.push(first);
    await first.close();
    const again = await createTestApp({ reuse: first, env: { ADMIN_PASSWORD: 'changed-password-2' } });
    apps.push(again);
    expect((await again.http().post('/api/auth/login').send({ username: ADMIN.username, password: 'original-password-1' })).status).toBe(200);
    expect((await again.http().post('/api/auth/login').send({ username: ADMIN.username, password: 'changed-password-2' })).status).toBe(401);
    expect(await again.db.run((m) => m.count(User))).toBe(1);
  });
});
