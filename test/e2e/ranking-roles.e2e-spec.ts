import { createUser } from '../factories/identity.factory';
import { assignJudge, createJudges, createJudgingOrgTree, startCompetition } from '../factories/judging.factory';
import { bearer, createTestApp, TestApp } from '../utils/create-test-app';

/**
 * Ranking reads keep the caller's roles in a competition for a moment (RankingService.rolesOf): a
 * change of the panel must show at the very next read, not when the kept roles expire.
 */
describe('ranking: who may read it follows the panel at once', () => {
  let t: TestApp;
  afterAll(async () => t?.dispose());

  it('answers 404 to a judge not on the panel, and the ranking right after the judge is assigned', async () => {
    t = await createTestApp();
    const orgs = await createJudgingOrgTree(t);
    const organizer = await createUser(t, await t.adminToken(), { roles: ['organizer'], organizationId: orgs.city.id });
    const [judge] = await createJudges(t, orgs.city.id, 1);
    const c = await startCompetition(t, organizer.token, orgs.city.id, { employers: [orgs.otherEnterprise.id], contestants: 2 });
    const read = () => t.http().get(`/api/competitions/${c.id}/ranking`).set(bearer(judge.token));

    for (let i = 0; i < 2; i++) {
      const before = await read();
      expect(before.status).toBe(404);
      expect(before.body.code).toBe('RANKING_NOT_PUBLISHED');
    }
    expect((await assignJudge(t, organizer.token, c.id, { userId: judge.id })).status).toBe(201);
    const after = await read();
    expect(after.status).toBe(200);
    expect(after.body.items).toHaveLength(2);
    // A judge sees the ranking blind: no names, no units.
    expect(after.body.items.every((i: { name: unknown; organization: unknown }) => i.name === null && i.organization === null)).toBe(true);
  });
});
