import { In } from 'typeorm';
import { AuthUser } from '../../src/common/auth/auth-user';
import { AuditEntry } from '../../src/modules/audit/audit-entry.entity';
import { AuditService } from '../../src/modules/audit/audit.service';
import { LiveEventsService } from '../../src/modules/queue/live-events.service';
import { STANDINGS_TOPIC } from '../../src/modules/queue/live-topics';
import { MarkDto } from '../../src/modules/scoring/dto/judging.dto';
import { JudgingService } from '../../src/modules/scoring/judging.service';
import { EntryScore, MarkReceipt, Score, ScoreRevision } from '../../src/modules/scoring/score.entity';
import { createTestApp, randomUUID, TestApp } from '../utils/create-test-app';
import { createUser } from '../factories/identity.factory';
import { assignJudges, createJudges, createJudgingOrgTree, OrgTree, startCompetition, StartedCompetition, TestUser } from '../factories/judging.factory';

/**
 * Group commit (SQLite): submissions that reach JudgingService.submit within one turn of the event
 * loop are applied in one transaction, in arrival order. Every request must get the answer it would
 * get alone, and the database must end exactly as if the requests had run one after the other:
 * replays and reused client ids within the group, changes of a mark made earlier in the same group,
 * refused requests (403, 404), rejected marks, revisions, audit entries, standings — and a request
 * that fails mid-group must fail alone. One competition gets the script one request at a time, a
 * twin gets the same script all at once; the answers and the stored state must be equal.
 *
 * PostgreSQL runs every submission in its own transaction (no grouping): the twin's requests would
 * race each other there, so this file runs on SQLite only (judging-load covers concurrency on both).
 */
const onSqlite = process.env.DATABASE_URL ? describe.skip : describe;

interface Step {
  user: AuthUser;
  competitionId?: string; // default: the competition under test
  marks: Array<Omit<MarkDto, 'clientId'> & { clientId: string }>;
}

type Answer = { accepted: string[]; rejected: Array<{ clientId: string; reason: string }> } | { error: string };

onSqlite('judging: group commit of concurrent mark submissions', () => {
  let t: TestApp;
  let orgs: OrgTree;
  let organizer: TestUser;
  let judges: TestUser[];
  let enterpriseJudge: TestUser;
  let subsetJudge: TestUser;
  let outsider: TestUser;
  let judging: JudgingService;

  const asAuth = (u: TestUser): AuthUser => ({ id: u.id, username: u.username, roles: u.roles, organizationId: u.organizationId ?? null, workerId: null });

  beforeAll(async () => {
    t = await createTestApp();
    judging = t.app.get(JudgingService);
    orgs = await createJudgingOrgTree(t);
    const admin = await t.adminToken();
    [organizer, judges, [enterpriseJudge], [subsetJudge], [outsider]] = await Promise.all([
      createUser(t, admin, { roles: ['organizer'], organizationId: orgs.city.id }),
      createJudges(t, orgs.city.id, 3, '市裁判'),
      createJudges(t, orgs.enterprise.id, 1, '企业裁判'),
      createJudges(t, orgs.city.id, 1, '安全裁判'),
      createJudges(t, orgs.city.id, 1, '未分配裁判'),
    ]);
  });
  afterAll(async () => t?.dispose());

  /** Four contestants, two employed by the enterprise judge's own enterprise; the same panel each time. */
  async function twin(): Promise<StartedCompetition> {
    const c = await startCompetition(t, organizer.token, orgs.city.id, { employers: [orgs.enterprise.id, orgs.otherEnterprise.id], contestants: 4 });
    await assignJudges(t, organizer.token, c.id, [
      { userId: judges[0].id, chief: true },
      { userId: judges[1].id },
      { userId: judges[2].id },
      { userId: enterpriseJudge.id },
      { userId: subsetJudge.id, criteria: ['safety'] },
    ]);
    return c;
  }

  /** The entries in the same order in both twins (the draw differs): the enterprise judge's own unit first, then by bib. */
  const ordered = (c: StartedCompetition) => [...c.entries].sort((x, y) => Number(x.employerOrgId !== orgs.enterprise.id) - Number(y.employerOrgId !== orgs.enterprise.id) || x.bib - y.bib);

  /** The script, with client ids unique to the competition (receipts are per judge, across competitions). */
  function script(c: StartedCompetition): Step[] {
    const [j0, j1, j2] = judges.map(asAuth);
    const ej = asAuth(enterpriseJudge);
    const sj = asAuth(subsetJudge);
    const e = ordered(c);
    const id = (k: string) => `${c.id.slice(0, 8)}-${k}`;
    // The enterprise judge is recused from e[0] and e[1] (its own enterprise), not from e[2] and e[3].
    const [own, other] = [0, 2];
    const one = (user: AuthUser, mark: Step['marks'][number]): Step => ({ user, marks: [mark] });
    return [
      one(j1, { enrolmentId: e[0].enrolmentId, criterion: 'wiring', value: 30, clientId: id('a') }),
      one(j1, { enrolmentId: e[0].enrolmentId, criterion: 'wiring', value: 30, clientId: id('a') }), // replay: accepted, nothing changes
      one(j1, { enrolmentId: e[0].enrolmentId, criterion: 'wiring', value: 31, clientId: id('a') }), // same id, other mark: client_id_reused
      one(j2, { enrolmentId: e[0].enrolmentId, criterion: 'wiring', value: 32, clientId: id('b') }),
      one(j1, { enrolmentId: e[0].enrolmentId, criterion: 'wiring', value: 33, clientId: id('c') }), // a change of a mark made earlier in the group
      one(j1, { bib: e[0].bib, criterion: 'wiring', value: 34.5, clientId: id('d') }), // and again, by bib
      one(j1, { enrolmentId: e[0].enrolmentId, criterion: 'wiring', value: 33, clientId: id('c') }), // replay of the first change: accepted, value stays 34.5
      one(ej, { enrolmentId: e[own].enrolmentId, criterion: 'wiring', value: 20, clientId: id('e') }), // conflict_of_interest
      one(ej, { enrolmentId: e[other].enrolmentId, criterion: 'wiring', value: 21, clientId: id('f') }),
      one(sj, { enrolmentId: e[1].enrolmentId, criterion: 'wiring', value: 22, clientId: id('g') }), // not_assigned
      one(sj, { enrolmentId: e[1].enrolmentId, criterion: 'safety', value: 7.5, clientId: id('h') }),
      one(j2, { enrolmentId: e[1].enrolmentId, criterion: 'wiring', value: 41, clientId: id('i') }), // out_of_range
      one(j2, { enrolmentId: e[1].enrolmentId, criterion: 'wiring', value: 8.755, clientId: id('j') }), // too_many_decimals
      one(j2, { enrolmentId: randomUUID(), criterion: 'wiring', value: 8, clientId: id('k') }), // unknown_entry
      one(j2, { bib: 999, criterion: 'wiring', value: 8, clientId: id('l') }), // unknown_entry
      one(j2, { enrolmentId: e[1].enrolmentId, criterion: 'nope', value: 8, clientId: id('m') }), // unknown_criterion
      one(j2, { enrolmentId: e[1].enrolmentId, criterion: 'wiring', value: 8, clientId: id('n'), judgeId: j1.id }), // not_chief
      one(j0, { enrolmentId: e[0].enrolmentId, criterion: 'wiring', value: 35, clientId: id('o'), judgeId: j2.id }), // the chief sets j2's mark
      { user: asAuth(outsider), marks: [{ enrolmentId: e[0].enrolmentId, criterion: 'wiring', value: 1, clientId: id('p') }] }, // 403: not on the panel
      { user: j1, competitionId: randomUUID(), marks: [{ enrolmentId: e[0].enrolmentId, criterion: 'wiring', value: 1, clientId: id('q') }] }, // 404
      {
        user: j0,
        marks: [
          ...e.map((x, i) => ({ enrolmentId: x.enrolmentId, criterion: 'exam', value: 60 + i, clientId: id(`r${i}`) })),
          { enrolmentId: e[3].enrolmentId, criterion: 'exam', value: 63, clientId: id('r3') }, // the same mark twice in one batch
          { enrolmentId: e[2].enrolmentId, criterion: 'exam', value: 99, clientId: id('r1') }, // a batch reusing its own id
        ],
      },
      one(j0, { enrolmentId: e[1].enrolmentId, criterion: 'exam', value: 70, clientId: id('s') }), // a change of the batch's mark
      one(j2, { enrolmentId: e[2].enrolmentId, criterion: 'safety', value: 6, clientId: id('t') }),
      one(j2, { enrolmentId: e[3].enrolmentId, criterion: 'safety', value: 6, clientId: id('t') }), // reused in the group: client_id_reused
      one(j2, { enrolmentId: e[2].enrolmentId, criterion: 'wiring', value: 12, clientId: id('a') }), // j1's id: receipts are per judge, accepted
    ];
  }

  /** A request that fails half-way (in the audit) inside a group: it alone fails, the others are applied as alone. */
  function failing(c: StartedCompetition): Step[] {
    const [, j1, j2] = judges.map(asAuth);
    const e = ordered(c);
    const id = (k: string) => `${c.id.slice(0, 8)}-${k}`;
    return [
      { user: j2, marks: [{ enrolmentId: e[3].enrolmentId, criterion: 'wiring', value: 11, clientId: id('w') }] },
      { user: j1, marks: [{ enrolmentId: e[0].enrolmentId, criterion: 'wiring', value: 36, clientId: id('u'), reason: 'boom' }] }, // fails: an error, changes nothing
      { user: j1, marks: [{ enrolmentId: e[0].enrolmentId, criterion: 'wiring', value: 37, clientId: id('v') }] }, // after the failure: applied
      { user: j1, marks: [{ enrolmentId: e[0].enrolmentId, criterion: 'wiring', value: 36, clientId: id('u') }] }, // the failed id is free: a new change
      { user: j2, marks: [{ enrolmentId: e[3].enrolmentId, criterion: 'wiring', value: 11, clientId: id('w') }] }, // replay of the group's first
    ];
  }

  const answerOf = (p: Promise<{ accepted: string[]; rejected: Array<{ clientId: string; reason: string }> }>, strip: (s: string) => string): Promise<Answer> =>
    p.then(
      (a) => ({ accepted: a.accepted.map(strip), rejected: a.rejected.map((r) => ({ clientId: strip(r.clientId), reason: r.reason })) }),
      (e: Error & { code?: string }) => ({ error: `${e.constructor.name}:${e.code ?? e.message}` }),
    );
  const call = (c: StartedCompetition, s: Step) => judging.submit(s.user, s.competitionId ?? c.id, { marks: s.marks as MarkDto[] });

  /** What the script left in the database, in terms that do not depend on generated ids or times. */
  async function state(c: StartedCompetition) {
    const strip = (s: string) => s.slice(9);
    const entry = new Map(ordered(c).map((e, i) => [e.enrolmentId, i]));
    const ids = c.entries.map((e) => e.enrolmentId);
    const [scores, receipts, revisions, standings, audits] = await t.db.run(async (m) => [
      await m.find(Score, { where: { competitionId: c.id } }),
      await m.find(MarkReceipt, { where: { enrolmentId: In(ids) } }),
      await m.find(ScoreRevision, { where: { competitionId: c.id } }),
      await m.find(EntryScore, { where: { competitionId: c.id } }),
      await m.find(AuditEntry, { where: { action: 'score.change', entityId: In(ids) } }),
    ]);
    const judgeOf = new Map(scores.map((s) => [s.id, s.judgeUserId]));
    const sorted = <T>(xs: T[]) => xs.map((x) => JSON.stringify(x)).sort();
    return {
      scores: sorted(scores.map((s) => [entry.get(s.enrolmentId), s.criterionKey, s.judgeUserId, s.value, strip(s.clientId)])),
      receipts: sorted(receipts.map((r) => [r.judgeUserId, strip(r.clientId), entry.get(r.enrolmentId), r.criterionKey, r.value])),
      revisions: sorted(revisions.map((r) => [entry.get(r.enrolmentId), r.criterionKey, judgeOf.get(r.scoreId), r.oldValue, r.newValue, r.reason, r.byUserId, strip(r.clientId)])),
      standings: sorted(standings.map((s) => [entry.get(s.enrolmentId), s.total, s.sections, s.criteria, s.penalties, s.complete])),
      audits: sorted(audits.map((a) => [a.actorId, entry.get(a.entityId), a.before, a.after])),
    };
  }

  let a: StartedCompetition;
  let b: StartedCompetition;
  const strip = (s: string) => s.slice(9);

  /** The steps on `a` one at a time, on `b` all at once; the answers of both, and what the group commit counted. */
  async function runBoth(steps: (c: StartedCompetition) => Step[]) {
    const one: Answer[] = [];
    for (const s of steps(a)) one.push(await answerOf(call(a, s), strip));
    const events: Array<Record<string, unknown>> = [];
    const unsubscribe = t.app.get(LiveEventsService).subscribe(STANDINGS_TOPIC, (p) => {
      if (p.competitionId === b.id) events.push(p);
    });
    const before = { ...judging.groupCommits };
    // All submitted in one turn of the event loop: they reach submit together and are grouped.
    const all = await Promise.all(steps(b).map((s) => answerOf(call(b, s), strip)));
    unsubscribe();
    const after = judging.groupCommits;
    return { one, all, events, groups: after.groups - before.groups, requests: after.requests - before.requests, fallbacks: after.fallbacks - before.fallbacks };
  }

  it('answers every request as alone and leaves the same state as the requests one after the other', async () => {
    [a, b] = [await twin(), await twin()];
    const r = await runBoth(script);
    expect(r.requests).toBe(script(b).length);
    expect(r.groups).toBe(1);
    expect(r.fallbacks).toBe(0);
    expect(r.all).toEqual(r.one);
    // The script exercises what it claims to.
    expect(r.one[2]).toEqual({ accepted: [], rejected: [{ clientId: 'a', reason: 'client_id_reused' }] });
    expect(r.one[r.one.length - 1]).toEqual({ accepted: ['a'], rejected: [] });
    expect(r.one.filter((x) => 'error' in x).map((x) => (x as { error: string }).error)).toEqual(['DomainError:NOT_ALLOWED_IN_COMPETITION', 'DomainError:COMPETITION_NOT_FOUND']);
    const reasons = new Set(r.one.flatMap((x) => ('rejected' in x ? x.rejected.map((y) => y.reason) : [])));
    expect([...reasons].sort()).toEqual(['client_id_reused', 'conflict_of_interest', 'not_assigned', 'not_chief', 'out_of_range', 'too_many_decimals', 'unknown_criterion', 'unknown_entry']);
    const sa = await state(a);
    expect(await state(b)).toEqual(sa);
    expect(sa.revisions.length).toBeGreaterThan(10);
    expect(sa.audits.length).toBeGreaterThan(3);
    // One live event for the group, naming every entry it changed.
    expect(r.events.length).toBe(1);
    expect(new Set(r.events[0].enrolmentIds as string[])).toEqual(new Set(b.entries.map((e) => e.enrolmentId)));
  });

  it('fails a request that fails inside a group alone, and applies the others as alone', async () => {
    const audit = t.app.get(AuditService);
    const record = audit.record.bind(audit);
    const spy = jest.spyOn(audit, 'record').mockImplementation(async (m, rec) => {
      if ((rec.after as { reason?: string } | undefined)?.reason === 'boom') throw new Error('boom');
      return record(m, rec);
    });
    try {
      const r = await runBoth(failing);
      expect(r.groups).toBe(1);
      expect(r.fallbacks).toBe(1);
      expect(r.all).toEqual(r.one);
      expect(r.one.map((x) => ('error' in x ? x.error : x.accepted.join()))).toEqual(['w', 'Error:boom', 'v', 'u', 'w']);
      expect(await state(b)).toEqual(await state(a));
    } finally {
      spy.mockRestore();
    }
  });
});
