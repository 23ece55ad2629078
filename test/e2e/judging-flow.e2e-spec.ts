import { bearer, createTestApp, TestApp } from '../utils/create-test-app';
import { createOrgTree, createUser } from '../factories/identity.factory';
import { enrolNewWorkers, openCompetition, readyToStart, transition } from '../factories/competition.factory';

describe('judging flow', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t?.dispose());

  it('scores a competition end to end and locks it when every entry is complete', async () => {
    const admin = await t.adminToken();
    const orgs = await createOrgTree(t);
    const organizer = await createUser(t, admin, { roles: ['organizer'], organizationId: orgs.city.id });
    const c = await openCompetition(t, organizer.token, orgs.city.id, { enrolmentRules: {} });
    const ids = await enrolNewWorkers(t, organizer.token, c.id, orgs.enterprise.id, 3);
    const draw = await readyToStart(t, organizer.token, c.id, ids, 'seed');
    expect((await transition(t, organizer.token, c.id, 'in_progress')).status).toBe(200);
    const judges = [];
    for (let i = 0; i < 5; i++) {
      const j = await createUser(t, admin, { roles: ['judge'], organizationId: orgs.city.id });
      const res = await t.http().post(`/api/competitions/${c.id}/judges`).set(bearer(organizer.token)).send({ userId: j.id, chief: i === 0 });
      expect(res.status).toBe(201);
      judges.push(j);
    }
    const sheet = await t.http().get(`/api/judging/competitions/${c.id}/sheet`).set(bearer(judges[1].token));
    expect(sheet.status).toBe(200);
    expect(sheet.body.contestants).toHaveLength(3);
    for (const [ji, j] of judges.entries()) {
      const marks = draw.entries.flatMap((e) => [
        ...(ji === 0 ? [{ enrolmentId: e.enrolmentId, criterion: 'exam', value: 80 + e.bib, clientId: `exam-${e.bib}` }] : []),
        { enrolmentId: e.enrolmentId, criterion: 'wiring', value: 30 + ji, clientId: `w-${ji}-${e.bib}` },
        ...(ji < 3 ? [{ enrolmentId: e.enrolmentId, criterion: 'safety', value: 8.5, clientId: `s-${ji}-${e.bib}` }] : []),
      ]);
      const res = await t.http().put(`/api/judging/competitions/${c.id}/marks`).set(bearer(j.token)).send({ marks });
      expect(res.status).toBe(200);
      expect(res.body.rejected).toEqual([]);
    }
    const rows = await t.db.run((m) => m.query('SELECT enrolment_id, total, complete FROM entry_scores'));
    expect(rows).toHaveLength(3);
    const locked = await transition(t, judges[0].token, c.id, 'scores_locked');
    expect(locked.status).toBe(200);
  });
});
