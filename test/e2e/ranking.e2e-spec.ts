import { In } from 'typeorm';
import { Enrolment } from '../../src/modules/enrolment/enrolment.entity';
import { Worker } from '../../src/modules/identity/worker.entity';
import { Organization } from '../../src/modules/organizations/organization.entity';
import { rankEntries } from '../../src/modules/ranking/domain/ranking';
import { RankingService } from '../../src/modules/ranking/ranking.service';
import { scoreEntry, SectionInput } from '../../src/modules/scoring/domain/arithmetic';
import { Penalty, Score } from '../../src/modules/scoring/score.entity';
import { transition } from '../factories/competition.factory';
import { createOrgTree, createUser } from '../factories/identity.factory';
import { Contest, contestInProgress, eventually, Mark, openEventStream, scoreEntryFully, seededRandom, submitMarks } from '../factories/ranking.factory';
import { bearer, createTestApp, TestApp } from '../utils/create-test-app';

type Orgs = Awaited<ReturnType<typeof createOrgTree>>;

const EMPLOYER = '国网衢州供电公司工会';

describe('ranking', () => {
  let t: TestApp;
  let orgs: Orgs;
  let organizer: { token: string };

  beforeAll(async () => {
    t = await createTestApp();
    orgs = await createOrgTree(t);
    organizer = await createUser(t, await t.adminToken(), { roles: ['organizer'], organizationId: orgs.city.id });
  });
  afterAll(async () => t?.dispose());

  const contest = (names: string[], judges = 5) =>
    contestInProgress(t, organizer.token, { organizationId: orgs.city.id, employerOrgId: orgs.enterprise.id, judgeOrgId: orgs.city.id, names, judges });
  const ranking = (app: TestApp, id: string, token?: string, query = '') => {
    const req = app.http().get(`/api/competitions/${id}/ranking${query}`);
    return token ? req.set(bearer(token)) : req;
  };

  describe('who sees what', () => {
    const NAMES = ['张小明', '李建国', '王大力', '欧阳明'];
    let c: Contest;
    beforeAll(async () => {
      c = await contest(NAMES);
      for (const [i, e] of c.entries.entries()) await scoreEntryFully(t, c, e.enrolmentId, { exam: 70 + i, wiring: [30, 31, 32, 33, 34], safety: 8 });
    });

    it('shows organizers full names and employers', async () => {
      const res = await ranking(t, c.id, organizer.token);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ total: 4, status: 'in_progress' });
      expect(new Date(res.body.computedAt).toString()).not.toBe('Invalid Date');
      expect(res.body.items.map((i: { name: string }) => i.name).sort()).toEqual([...NAMES].sort());
      expect(res.body.items.every((i: { organization: string }) => i.organization === EMPLOYER)).toBe(true);
    });

    it('shows judges the ranking without names or organizations (blind judging)', async () => {
      for (const j of [c.judges[0], c.judges[3]]) {
        const res = await ranking(t, c.id, j.token);
        expect(res.status).toBe(200);
        expect(res.body.items).toHaveLength(4);
        for (const item of res.body.items) {
          expect(item.name).toBeNull();
          expect(item.organization).toBeNull();
          expect(item.total).toEqual(expect.any(Number));
        }
        for (const name of NAMES) expect(JSON.stringify(res.body)).not.toContain(name);
      }
    });

    it('answers 404 before publication to anonymous callers and to users without a role in the competition, for the list and the events', async () => {
      const outsider = await createUser(t, await t.adminToken(), { roles: ['judge'], organizationId: orgs.city.id });
      for (const token of [undefined, outsider.token]) {
        const res = await ranking(t, c.id, token);
        expect(res.status).toBe(404);
        expect(res.body.code).toBe('RANKING_NOT_PUBLISHED');
        const stream = await openEventStream(t.baseUrl, `/api/competitions/${c.id}/ranking/events`, token);
        expect(stream.status).toBe(404);
        expect(JSON.parse(stream.body).code).toBe('RANKING_NOT_PUBLISHED');
      }
    });

    it('once published, shows the public masked names (张*明) and never the full ones', async () => {
      expect((await transition(t, c.judges[0].token, c.id, 'scores_locked')).status).toBe(200);
      expect((await ranking(t, c.id)).status).toBe(404);
      expect((await transition(t, organizer.token, c.id, 'published')).status).toBe(200);
      const res = await ranking(t, c.id);
      expect(res.status).toBe(200);
      expect(res.body.status).toBe('published');
      const names = res.body.items.map((i: { name: string }) => i.name).sort();
      expect(names).toEqual(['张*明', '李*国', '欧*明', '王*力'].sort());
      for (const name of NAMES) expect(res.text).not.toContain(name);
      expect(res.body.items.every((i: { organization: string }) => i.organization === EMPLOYER)).toBe(true);
      // Organizers still see the names.
      expect((await ranking(t, c.id, organizer.token)).body.items.map((i: { name: string }) => i.name).sort()).toEqual([...NAMES].sort());
    });
  });

  it('ranks ties 1, 1, 3, leaves absent entries out and lists incomplete entries last with rank null', async () => {
    const c = await contest(['甲一', '乙二', '丙三', '丁四', '戊五']);
    const [a, b, third, absent, incomplete] = c.entries;
    const same = { exam: 90, wiring: [30, 32, 34, 36, 38], safety: 9 };
    await scoreEntryFully(t, c, a.enrolmentId, same);
    await scoreEntryFully(t, c, b.enrolmentId, same);
    await scoreEntryFully(t, c, third.enrolmentId, { ...same, exam: 80 });
    await scoreEntryFully(t, c, absent.enrolmentId, { ...same, exam: 100 });
    await submitMarks(t, c.judges[0].token, c.id, [{ enrolmentId: incomplete.enrolmentId, criterion: 'exam', value: 100 }]);
    for (const e of [a, b]) {
      const res = await t.http().patch(`/api/enrolments/${e.enrolmentId}`).set(bearer(organizer.token)).send({ timeUsedSeconds: 900 });
      expect(res.status).toBe(200);
    }
    const gone = await t.http().patch(`/api/enrolments/${absent.enrolmentId}`).set(bearer(organizer.token)).send({ status: 'absent', reason: '缺考' });
    expect(gone.status).toBe(200);

    const res = await ranking(t, c.id, organizer.token);
    expect(res.status).toBe(200);
    // total = 90 × 0.3 + (34 + 9) / 50 × 100 × 0.7 = 87.2
    expect(res.body.items.map((i: { enrolmentId: string; rank: number | null; total: number | null; complete: boolean }) => [i.enrolmentId, i.rank, i.total, i.complete])).toEqual([
      [a.enrolmentId, 1, 87.2, true],
      [b.enrolmentId, 1, 87.2, true],
      [third.enrolmentId, 3, 84.2, true],
      [incomplete.enrolmentId, null, null, false],
    ]);
    expect(res.body.total).toBe(4);
    expect(res.body.items[0].sections).toEqual({ theory: 90, practical: 86 });
    expect(res.body.items[3].sections).toEqual({ theory: 100, practical: null });
    expect(JSON.stringify(res.body)).not.toContain(absent.enrolmentId);

    // Paging: ?limit=&offset= over the same list.
    const page = await ranking(t, c.id, organizer.token, '?limit=2&offset=1');
    expect(page.body.total).toBe(4);
    expect(page.body.items.map((i: { enrolmentId: string }) => i.enrolmentId)).toEqual([b.enrolmentId, third.enrolmentId]);
  });

  it('serves reads from the cache and rebuilds it after a change', async () => {
    const c = await contest(['周一', '吴二']);
    await scoreEntryFully(t, c, c.entries[0].enrolmentId, { exam: 60, wiring: [20, 20, 20, 20, 20], safety: 5 });
    const first = await ranking(t, c.id, organizer.token);
    const again = await ranking(t, c.id, organizer.token);
    expect(again.body.computedAt).toBe(first.body.computedAt);
    await new Promise((r) => setTimeout(r, 5));
    await submitMarks(t, c.judges[0].token, c.id, [{ enrolmentId: c.entries[0].enrolmentId, criterion: 'exam', value: 70 }]);
    const after = await ranking(t, c.id, organizer.token);
    expect(after.body.computedAt).not.toBe(first.body.computedAt);
    expect(after.body.items[0].total).toBe(first.body.items[0].total + 3);
  });

  it('answers a poll with the current ETag 304 without a body, and 200 with the new list once it changed', async () => {
    const c = await contest(['郑三', '冯四']);
    await scoreEntryFully(t, c, c.entries[0].enrolmentId, { exam: 60, wiring: [20, 20, 20, 20, 20], safety: 5 });
    const first = await ranking(t, c.id, organizer.token);
    expect(first.status).toBe(200);
    const etag = first.headers['etag'];
    expect(etag).toMatch(/^W\/".+"$/);
    const same = await ranking(t, c.id, organizer.token).set('If-None-Match', etag);
    expect(same.status).toBe(304);
    expect(same.text ?? '').toBe('');
    expect(same.headers['etag']).toBe(etag);
    // Another viewer's list (masked names) is another body, with its own tag: the organizer's does not match it.
    const otherList = await ranking(t, c.id, c.judges[0].token).set('If-None-Match', etag);
    expect(otherList.status).toBe(200);
    expect(otherList.headers['etag']).not.toBe(etag);
    await submitMarks(t, c.judges[0].token, c.id, [{ enrolmentId: c.entries[0].enrolmentId, criterion: 'exam', value: 70 }]);
    const changed = await ranking(t, c.id, organizer.token).set('If-None-Match', `"x", ${etag.replace(/^W\//, '')}`);
    expect(changed.status).toBe(200);
    expect(changed.headers['etag']).not.toBe(etag);
    expect(changed.body.items[0].total).toBe(first.body.items[0].total + 3);
    expect((await ranking(t, c.id, organizer.token).set('If-None-Match', changed.headers['etag'])).status).toBe(304);
  });

  describe('live events', () => {
    it('pushes an event to every subscriber after a mark, a penalty and an entry change, and forgets a subscriber that disconnects', async () => {
      const c = await contest(['郑一', '王二', '冯三']);
      const path = `/api/competitions/${c.id}/ranking/events`;
      const org = await openEventStream(t.baseUrl, path, organizer.token);
      const judge = await openEventStream(t.baseUrl, path, c.judges[2].token);
      expect(org.status).toBe(200);
      expect(org.headers['content-type']).toContain('text/event-stream');
      expect(judge.status).toBe(200);
      const service = t.app.get(RankingService);
      expect(service.subscriberCount(c.id)).toBe(2);

      const [e1, e2] = c.entries;
      await submitMarks(t, c.judges[1].token, c.id, [{ enrolmentId: e1.enrolmentId, criterion: 'wiring', value: 33.5 }]);
      for (const s of [org, judge]) {
        const ev = await s.waitFor((e) => e.reason === 'marks');
        expect(ev).toEqual({ competitionId: c.id, enrolmentIds: [e1.enrolmentId], reason: 'marks', at: expect.any(String) });
        expect(Number.isNaN(Date.parse(ev.at))).toBe(false);
      }
      const penalty = await t.http().post(`/api/competitions/${c.id}/penalties`).set(bearer(c.judges[0].token)).send({ enrolmentId: e2.enrolmentId, points: 1.5, reason: '未清理工位' });
      expect(penalty.status).toBe(201);
      await expect(org.waitFor((e) => e.reason === 'penalty')).resolves.toMatchObject({ enrolmentIds: [e2.enrolmentId] });
      const entry = await t.http().patch(`/api/enrolments/${e2.enrolmentId}`).set(bearer(organizer.token)).send({ timeUsedSeconds: 1200 });
      expect(entry.status).toBe(200);
      await expect(org.waitFor((e) => e.reason === 'entry')).resolves.toMatchObject({ competitionId: c.id, enrolmentIds: [e2.enrolmentId] });
      expect(org.events).toHaveLength(3);

      org.close();
      judge.close();
      await eventually(() => service.subscriberCount(c.id) === 0);
    });

    it('delivers a change made in another API process, whose ranking then shows the new total', async () => {
      const c = await contest(['陈一', '褚二']);
      const [e1] = c.entries;
      await scoreEntryFully(t, c, e1.enrolmentId, { exam: 80, wiring: [30, 30, 30, 30, 30], safety: 8 });
      // A second API process on the same database and Redis prefix. Its outbox poller is slowed down so
      // that it never writes while this one does: in one process, two SQLite connections that both
      // want the write lock would stall each other for the busy timeout.
      const b = await createTestApp({ reuse: t, env: { OUTBOX_POLL_MS: '60000' } });
      try {
        const before = await ranking(b, c.id, organizer.token);
        expect(before.status).toBe(200);
        expect((await ranking(b, c.id, organizer.token)).body.computedAt).toBe(before.body.computedAt); // B's cache is warm
        const stream = await openEventStream(b.baseUrl, `/api/competitions/${c.id}/ranking/events`, organizer.token);
        expect(stream.status).toBe(200);

        await submitMarks(t, c.judges[0].token, c.id, [{ enrolmentId: e1.enrolmentId, criterion: 'exam', value: 95 }]);
        const ev = await stream.waitFor((e) => e.competitionId === c.id && e.reason === 'marks');
        expect(ev.enrolmentIds).toEqual([e1.enrolmentId]);

        const after = await ranking(b, c.id, organizer.token);
        const line = after.body.items.find((i: { enrolmentId: string }) => i.enrolmentId === e1.enrolmentId);
        const old = before.body.items.find((i: { enrolmentId: string }) => i.enrolmentId === e1.enrolmentId);
        expect(Math.round((line.total - old.total) * 100)).toBe(450); // (95 − 80) × 30 %
        expect(after.body.computedAt).not.toBe(before.body.computedAt);
        stream.close();
        await eventually(() => b.app.get(RankingService).subscriberCount(c.id) === 0);
      } finally {
        await b.close();
      }
    });
  });

  it('equals a recomputation from scratch after every 20 of 300 random marks, changes, penalties and absences', async () => {
    const names = Array.from({ length: 30 }, (_, i) => `选手${String.fromCharCode(0x4e00 + i * 7)}${i}`);
    const c = await contest(names);
    const rnd = seededRandom(20260501);
    const criteria = c.scoring.sections.flatMap((s) => s.criteria);
    // Mostly coarse values, so that equal totals (ties) happen; the rest with two decimals.
    const coarse: Record<string, number[]> = { exam: [90, 100], wiring: [35, 40], safety: [9, 10] };
    const value = (criterion: string) => {
      const max = criteria.find((k) => k.key === criterion)!.maxScore;
      return rnd.next() < 0.75 ? rnd.pick(coarse[criterion]) : rnd.int(0, max * 100) / 100;
    };
    const competing = new Set(c.entries.map((e) => e.enrolmentId));
    const ids = c.entries.map((e) => e.enrolmentId);
    // Entries come in twins (bibs 1–2, 3–4, …) that often get the same treatment, so that ties arise.
    const withTwin = (id: string) => {
      const twin = ids[ids.indexOf(id) ^ 1];
      return competing.has(twin) && rnd.next() < 0.7 ? [id, twin] : [id];
    };
    const twinned = (marks: Mark[]) => withTwin(marks[0].enrolmentId).flatMap((enrolmentId) => marks.map((m) => ({ ...m, enrolmentId })));
    const given: Array<{ judge: number; enrolmentId: string; criterion: string }> = [];
    const row = (enrolmentId: string): Mark[] => criteria.map((k) => ({ enrolmentId, criterion: k.key, value: value(k.key) }));
    const counts = { row: 0, batch: 0, change: 0, penalty: 0, time: 0, absent: 0 };
    let checks = 0;
    let checksWithTies = 0;

    for (let op = 1; op <= 300; op++) {
      const r = rnd.next();
      const entries = [...competing];
      const judge = rnd.int(0, c.judges.length - 1);
      if (r < 0.5) {
        counts.row++;
        const marks = twinned(row(rnd.pick(entries)));
        await submitMarks(t, c.judges[judge].token, c.id, marks);
        for (const m of marks) given.push({ judge, enrolmentId: m.enrolmentId, criterion: m.criterion });
      } else if (r < 0.7) {
        counts.batch++;
        const marks = Array.from({ length: rnd.int(2, 4) }, () => twinned(row(rnd.pick(entries)))).flat();
        await submitMarks(t, c.judges[judge].token, c.id, marks);
        for (const m of marks) given.push({ judge, enrolmentId: m.enrolmentId, criterion: m.criterion });
      } else if (r < 0.82 && given.some((g) => competing.has(g.enrolmentId))) {
        counts.change++;
        const g = rnd.pick(given.filter((x) => competing.has(x.enrolmentId)));
        await submitMarks(t, c.judges[g.judge].token, c.id, [{ enrolmentId: g.enrolmentId, criterion: g.criterion, value: value(g.criterion) }]);
      } else if (r < 0.88) {
        counts.penalty++;
        const points = rnd.pick([1, 2.25]);
        for (const enrolmentId of withTwin(rnd.pick(entries))) {
          const res = await t.http().post(`/api/competitions/${c.id}/penalties`).set(bearer(c.judges[0].token)).send({ enrolmentId, points, reason: '违规操作' });
          expect(res.status).toBe(201);
        }
      } else if (r < 0.96 || competing.size <= 25) {
        counts.time++;
        const timeUsedSeconds = rnd.pick([600, 900]);
        for (const id of withTwin(rnd.pick(entries))) {
          const res = await t.http().patch(`/api/enrolments/${id}`).set(bearer(organizer.token)).send({ timeUsedSeconds });
          expect(res.status).toBe(200);
        }
      } else {
        counts.absent++;
        const id = rnd.pick(entries);
        const res = await t.http().patch(`/api/enrolments/${id}`).set(bearer(organizer.token)).send({ status: 'absent', reason: '缺考' });
        expect(res.status).toBe(200);
        competing.delete(id);
      }
      if (op % 20 === 0) {
        const res = await ranking(t, c.id, organizer.token, '?limit=200');
        expect(res.status).toBe(200);
        const expected = await fromScratch(t, c);
        expect(res.body.items).toEqual(expected);
        expect(res.body.total).toBe(expected.length);
        checks++;
        const ranks = expected.map((e) => e.rank).filter((x) => x !== null);
        if (new Set(ranks).size < ranks.length) checksWithTies++;
      }
    }
    const final = (await ranking(t, c.id, organizer.token, '?limit=200')).body.items as Array<{ rank: number | null }>;
    // The sequence exercised what it is meant to: ranked and unranked entries, absences, every kind of change.
    expect(checks).toBe(15);
    expect(checksWithTies).toBeGreaterThan(0);
    expect(final.filter((i) => i.rank !== null).length).toBeGreaterThan(10);
    expect(final.filter((i) => i.rank === null).length).toBeGreaterThan(0);
    expect(final).toHaveLength(competing.size);
    expect(Object.values(counts).every((n) => n > 0)).toBe(true);
  }, 180_000);

  it('flags, in the bias report, a judge who marks systematically high', async () => {
    // A lone outlier is beyond 2σ only with 6 or more judges (see judgeBias): a panel of 7.
    const c = await contest(['孙一', '李二', '周三', '吴四', '郑五', '王六'], 7);
    const [high, ...others] = c.judges;
    for (const [k, j] of c.judges.entries()) {
      const marks = c.entries.map((e, i) => {
        const base = 30 + i;
        const v = j === high ? base + 4 : base + (((k + i) % 3) - 1) * 0.5;
        return { enrolmentId: e.enrolmentId, criterion: 'wiring', value: v };
      });
      await submitMarks(t, j.token, c.id, marks);
    }
    const res = await t.http().get(`/api/competitions/${c.id}/judges/report`).set(bearer(c.judges[0].token));
    expect(res.status).toBe(200);
    const rows = res.body.items as Array<{ judgeId: string; displayName: string; criterion: string; count: number; meanDeviation: number; flagged: boolean }>;
    expect(rows).toHaveLength(7);
    const top = rows.find((r) => r.judgeId === high.id)!;
    expect(top).toMatchObject({ displayName: high.displayName, criterion: 'wiring', count: 6, flagged: true });
    expect(top.meanDeviation).toBeGreaterThan(3);
    for (const j of others) expect(rows.find((r) => r.judgeId === j.id)).toMatchObject({ displayName: j.displayName, count: 6, flagged: false });
    for (const r of rows) expect(Math.round(r.meanDeviation * 100) / 100).toBe(r.meanDeviation); // points, two decimals

    expect((await t.http().get(`/api/competitions/${c.id}/judges/report`).set(bearer(organizer.token))).status).toBe(200);
    const judge = await t.http().get(`/api/competitions/${c.id}/judges/report`).set(bearer(others[0].token));
    expect(judge.status).toBe(403);
    expect((await t.http().get(`/api/competitions/${c.id}/judges/report`)).status).toBe(401);
  });
});

/** The ranking computed from nothing but the stored marks, penalties and entries, with the pure rules. */
async function fromScratch(t: TestApp, c: Contest) {
  const { scores, penalties, enrolments, workers, employers } = await t.db.run(async (m) => {
    const scores = await m.find(Score, { where: { competitionId: c.id } });
    const penalties = await m.find(Penalty, { where: { competitionId: c.id } });
    const enrolments = await m.find(Enrolment, { where: { competitionId: c.id } });
    const workers = await m.find(Worker, { where: { id: In(enrolments.map((e) => e.workerId)) } });
    const employers = await m.find(Organization, { where: { id: In(workers.map((w) => w.employerOrgId)) } });
    return { scores, penalties, enrolments, workers, employers };
  });
  const workerOf = new Map(workers.map((w) => [w.id, w]));
  const orgName = new Map(employers.map((o) => [o.id, o.name]));
  const keys = c.scoring.sections.map((s) => s.key);
  const inputs = enrolments.map((e) => {
    const sections: SectionInput[] = c.scoring.sections.map((s) => ({
      key: s.key,
      weight: s.weight,
      criteria: s.criteria.map((k) => ({
        key: k.key,
        maxScore: Math.round(k.maxScore * 100),
        judgesRequired: k.judgesRequired,
        aggregation: k.aggregation as SectionInput['criteria'][number]['aggregation'],
        marks: scores.filter((x) => x.enrolmentId === e.id && x.criterionKey === k.key).map((x) => x.value),
      })),
    }));
    const points = penalties.filter((p) => p.enrolmentId === e.id).reduce((sum, p) => sum + p.points, 0);
    const r = scoreEntry(sections, points);
    return { enrolmentId: e.id, status: e.status, bib: e.bib, timeUsedSeconds: e.timeUsedSeconds, total: r.total, sections: r.sections, complete: r.complete };
  });
  const byId = new Map(enrolments.map((e) => [e.id, e]));
  return rankEntries(inputs, c.tieBreakers as Parameters<typeof rankEntries>[1]).map((e) => {
    const w = workerOf.get(byId.get(e.enrolmentId)!.workerId)!;
    return {
      rank: e.rank,
      enrolmentId: e.enrolmentId,
      bib: e.bib,
      name: w.name,
      organization: orgName.get(w.employerOrgId) ?? null,
      total: e.total === null ? null : e.total / 100,
      sections: Object.fromEntries(keys.map((k) => [k, e.sections[k] == null ? null : e.sections[k]! / 100])),
      complete: e.complete,
    };
  });
}
