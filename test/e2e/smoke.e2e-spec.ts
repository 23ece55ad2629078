import { bearer, createTestApp, TestApp } from '../utils/create-test-app';
import { createOrgTree, workerRegistration } from '../factories/identity.factory';

describe('smoke', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ workers: true });
  });
  afterAll(async () => t?.dispose());

  it('boots, answers health, registers a worker and logs in', async () => {
    const h = await t.http().get('/health');
    expect(h.status).toBe(200);
    expect(h.body.status).toBe('ok');
    const orgs = await createOrgTree(t);
    const reg = workerRegistration(orgs.enterprise.id);
    const r = await t.http().post('/api/auth/register').send(reg);
    expect(r.status).toBe(201);
    const token = await t.login(reg.username, reg.password);
    const me = await t.http().get('/api/auth/me').set(bearer(token));
    expect(me.status).toBe(200);
    expect(me.body.worker.idNumber).toBe(reg.idNumber);
  });
});
