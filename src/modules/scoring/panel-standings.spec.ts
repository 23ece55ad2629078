import Database from 'better-sqlite3';
import type { EntityManager } from 'typeorm';
import type { Competition } from '../competitions/competition.entity';
import type { LiveEventsService } from '../queue/live-events.service';
import type { JudgeAssignment } from './judge-assignment.entity';
import { Panel, PanelService } from './panel.service';

/** A mark as the reference computation below takes it. */
interface MarkRow {
  enrolmentId: string;
  criterionKey: string;
  judgeUserId: string;
  value: number;
}

/**
 * PanelService.standings (marks packed per entry by SQL, decoded in JS) against the same marks filtered
 * mark by mark with mayMark and scored directly, on SQLite (in memory, only the columns it reads):
 * recusal by unit and declared, assignment subsets, judges not on the panel, criteria not in the
 * scheme, entries without marks, entries whose marks all stopped counting, penalties.
 */
describe('PanelService.standings', () => {
  const C = 'comp-1';
  const judges = ['j-city', 'j-ent-a', 'j-subset', 'j-declared'];
  const outsider = 'j-not-on-panel';
  const scheme = {
    sections: [
      {
        key: 'theory',
        name: 'theory',
        weight: 30,
        criteria: [{ key: 'exam', name: 'exam', maxScore: 100, type: 'measurement', judgesRequired: 1, aggregation: 'mean' }],
      },
      {
        key: 'practice',
        name: 'practice',
        weight: 70,
        criteria: [
          { key: 'wiring', name: 'wiring', maxScore: 10, type: 'judgement', judgesRequired: 2, aggregation: 'trimmed_mean' },
          { key: 'safety', name: 'safety', maxScore: 10, type: 'judgement', judgesRequired: 1, aggregation: 'median' },
          { key: 'welding', name: 'welding', maxScore: 10, type: 'judgement', judgesRequired: 1, aggregation: 'single' },
        ],
      },
    ],
  };
  const competition = { id: C, scoring: scheme, tieBreakers: [] } as unknown as Competition;

  function setUp(entries: number, seed: number) {
    const db = new Database(':memory:');
    db.exec(`
      CREATE TABLE organizations (id TEXT PRIMARY KEY, path TEXT NOT NULL);
      CREATE TABLE workers (id TEXT PRIMARY KEY, employer_org_id TEXT NOT NULL);
      CREATE TABLE enrolments (id TEXT PRIMARY KEY, competition_id TEXT NOT NULL, worker_id TEXT NOT NULL);
      CREATE TABLE scores (id INTEGER PRIMARY KEY, competition_id TEXT NOT NULL, enrolment_id TEXT NOT NULL, criterion_key TEXT NOT NULL, judge_user_id TEXT NOT NULL, value INTEGER NOT NULL);
      CREATE UNIQUE INDEX scores_entry ON scores (enrolment_id, criterion_key, judge_user_id);
      CREATE TABLE penalties (id INTEGER PRIMARY KEY, competition_id TEXT NOT NULL, enrolment_id TEXT NOT NULL, points INTEGER NOT NULL);
    `);
    db.prepare('INSERT INTO organizations VALUES (?, ?), (?, ?), (?, ?), (?, ?)').run('city', '/city/', 'ent-a', '/city/ent-a/', 'shop-a', '/city/ent-a/shop-a/', 'ent-b', '/city/ent-b/');
    let a = seed >>> 0;
    const rnd = () => {
      a = (a * 1103515245 + 12345) >>> 0;
      return a / 4294967296;
    };
    const employers = ['city', 'ent-a', 'shop-a', 'ent-b'];
    const keys = ['exam', 'wiring', 'safety', 'welding', 'not-in-scheme'];
    const marks: MarkRow[] = [];
    for (let i = 0; i < entries; i++) {
      const id = `e-${String(i).padStart(4, '0')}`;
      db.prepare('INSERT INTO workers VALUES (?, ?)').run(`w-${i}`, employers[i % employers.length]);
      db.prepare('INSERT INTO enrolments VALUES (?, ?, ?)').run(id, C, `w-${i}`);
      if (i % 7 === 3) continue; // no marks
      for (const k of keys) {
        for (const j of [...judges, outsider]) {
          if (rnd() < 0.25) continue;
          const max = k === 'exam' ? 10000 : 1000;
          // Mostly in range; now and then a value the scheme does not expect (0, the maximum).
          const value = rnd() < 0.05 ? (rnd() < 0.5 ? 0 : max) : Math.floor(rnd() * (max + 1));
          marks.push({ enrolmentId: id, criterionKey: k, judgeUserId: j, value });
        }
      }
      if (i % 5 === 1) db.prepare('INSERT INTO penalties (competition_id, enrolment_id, points) VALUES (?, ?, ?)').run(C, id, 150 + i);
    }
    // An entry whose only marks never count (a judge not on the panel).
    db.prepare('INSERT INTO workers VALUES (?, ?)').run('w-outsider', 'ent-b');
    db.prepare('INSERT INTO enrolments VALUES (?, ?, ?)').run('e-outsider', C, 'w-outsider');
    marks.push({ enrolmentId: 'e-outsider', criterionKey: 'wiring', judgeUserId: outsider, value: 800 });
    // Another competition's entry, not read.
    db.prepare('INSERT INTO enrolments VALUES (?, ?, ?)').run('e-other', 'comp-2', 'w-0');
    marks.push({ enrolmentId: 'e-other', criterionKey: 'wiring', judgeUserId: judges[0], value: 700 });
    const insert = db.prepare('INSERT INTO scores (competition_id, enrolment_id, criterion_key, judge_user_id, value) VALUES (?, ?, ?, ?, ?)');
    for (const s of marks) insert.run(s.enrolmentId === 'e-other' ? 'comp-2' : C, s.enrolmentId, s.criterionKey, s.judgeUserId, s.value);
    const m = {
      connection: { options: { type: 'better-sqlite3' } },
      query: async (text: string, params: unknown[] = []) => {
        const st = db.prepare(text);
        return st.reader ? st.all(...params) : (st.run(...params), []);
      },
    } as unknown as EntityManager;
    return { db, m, marks };
  }

  function service(): { panels: PanelService; panel: Panel } {
    const live = { subscribe: () => () => undefined, publish: () => undefined } as unknown as LiveEventsService;
    const panels = new PanelService(live);
    const assignment = (userId: string, criteria: string[] | null) => ({ competitionId: C, userId, criteria, chief: false }) as unknown as JudgeAssignment;
    const panel: Panel = {
      assignments: new Map([
        ['j-city', assignment('j-city', null)],
        ['j-ent-a', assignment('j-ent-a', null)],
        ['j-subset', assignment('j-subset', ['wiring', 'safety'])],
        ['j-declared', assignment('j-declared', ['exam', 'welding', 'wiring'])],
      ]),
      units: new Map([
        ['j-city', { organizationId: 'city', enterpriseId: null }],
        ['j-ent-a', { organizationId: 'shop-a', enterpriseId: 'ent-a' }],
        ['j-subset', { organizationId: 'ent-b', enterpriseId: 'ent-b' }],
        ['j-declared', { organizationId: null, enterpriseId: null }],
      ]),
      declared: new Set(['j-declared|w-2', 'j-declared|w-10', 'j-city|w-5']),
    };
    (panels as unknown as { cache: Map<string, { panel: Panel; at: number }> }).cache.set(C, { panel, at: Date.now() });
    return { panels, panel };
  }

  /** The reference: every mark checked on its own with mayMark, then the same scoring. */
  async function expected(panels: PanelService, panel: Panel, m: EntityManager, marks: MarkRow[], ids: string[]) {
    const facts = await panels.entryFacts(m, ids);
    const marksOf = new Map<string, Map<string, number[]>>();
    for (const s of marks) {
      const f = facts.get(s.enrolmentId);
      if (!f || panels.mayMark(panel, s.judgeUserId, s.criterionKey, f) !== 'ok') continue;
      let byCriterion = marksOf.get(s.enrolmentId);
      if (!byCriterion) marksOf.set(s.enrolmentId, (byCriterion = new Map()));
      byCriterion.set(s.criterionKey, [...(byCriterion.get(s.criterionKey) ?? []), s.value]);
    }
    const scored = (panels as unknown as { scored: (...a: unknown[]) => Promise<unknown[]> }).scored.bind(panels);
    return scored(m, competition, ids, marksOf, false);
  }

  it.each([1, 2, 3])('equals mark-by-mark filtering over a whole competition (seed %i)', async (seed) => {
    const { db, m, marks } = setUp(60, seed);
    const { panels, panel } = service();
    const got = await panels.standings(m, competition);
    const withMarks = [...new Set(marks.filter((s) => s.enrolmentId !== 'e-other').map((s) => s.enrolmentId))].sort();
    expect(got.map((r) => r.enrolmentId).sort()).toEqual(withMarks);
    expect(got.find((r) => r.enrolmentId === 'e-outsider')).toMatchObject({ total: null, complete: false, penalties: 0 });
    const byId = new Map(got.map((r) => [r.enrolmentId, r]));
    const want = (await expected(panels, panel, m, marks, withMarks)) as Array<{ enrolmentId: string }>;
    expect(want.map((r) => byId.get(r.enrolmentId))).toEqual(want);
    expect(got.some((r) => r.complete)).toBe(true);
    db.close();
  });

  it('equals mark-by-mark filtering for chosen entries, with and without marks', async () => {
    const { db, m, marks } = setUp(30, 7);
    const { panels, panel } = service();
    const ids = ['e-0002', 'e-0003', 'e-0005', 'e-0010', 'e-0017', 'e-outsider'];
    const got = await panels.standings(m, competition, ids);
    expect(got).toEqual(await expected(panels, panel, m, marks, ids));
    db.close();
  });

  it('counts nothing without a panel', async () => {
    const { db, m } = setUp(10, 3);
    const { panels } = service();
    (panels as unknown as { cache: Map<string, { panel: Panel; at: number }> }).cache.set(C, {
      panel: { assignments: new Map(), units: new Map(), declared: new Set() },
      at: Date.now(),
    });
    const got = await panels.standings(m, competition);
    expect(got.length).toBeGreaterThan(0);
    expect(got.every((r) => r.total === null && !r.complete && Object.values(r.criteria).every((v) => v === null))).toBe(true);
    db.close();
  });

  it.each([11, 12, 13])('recomputeCriteria (the changed criteria from marks, the rest as stored) equals a recomputation from scratch after random changes (seed %i)', async (seed) => {
    const { db, m } = setUp(40, seed);
    db.exec('CREATE TABLE entry_scores (enrolment_id TEXT PRIMARY KEY, competition_id TEXT NOT NULL, total INTEGER, sections TEXT, criteria TEXT, penalties INTEGER, complete INTEGER)');
    const { panels } = service();
    await panels.recomputeAll(m, competition);
    let a = seed * 7919;
    const rnd = () => {
      a = (a * 1103515245 + 12345) >>> 0;
      return a / 4294967296;
    };
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
    const entries = Array.from({ length: 40 }, (_, i) => `e-${String(i).padStart(4, '0')}`);
    const keys = ['exam', 'wiring', 'safety', 'welding', 'not-in-scheme'];
    const upsert = db.prepare(
      'INSERT INTO scores (competition_id, enrolment_id, criterion_key, judge_user_id, value) VALUES (?, ?, ?, ?, ?) ON CONFLICT (enrolment_id, criterion_key, judge_user_id) DO UPDATE SET value = excluded.value',
    );
    const remove = db.prepare('DELETE FROM scores WHERE enrolment_id = ? AND criterion_key = ? AND judge_user_id = ?');
    const stored = () =>
      (db.prepare('SELECT enrolment_id, total, sections, criteria, penalties, complete FROM entry_scores ORDER BY enrolment_id').all() as Array<Record<string, unknown>>).map((r) => ({
        enrolmentId: r.enrolment_id,
        total: r.total,
        sections: JSON.parse(String(r.sections)),
        criteria: JSON.parse(String(r.criteria)),
        penalties: r.penalties,
        complete: r.complete === 1,
      }));
    let partial = 0;
    for (let round = 0; round < 25; round++) {
      // Now and then a standing is missing: that entry must be recomputed whole.
      if (round % 6 === 5) db.prepare('DELETE FROM entry_scores WHERE enrolment_id = ?').run(pick(entries));
      const changed = new Map<string, Set<string>>();
      for (let k = 0; k < 6; k++) {
        const e = pick(entries);
        const key = pick(keys);
        const judge = pick([...judges, outsider]);
        if (rnd() < 0.2) remove.run(e, key, judge);
        else upsert.run(C, e, key, judge, Math.floor(rnd() * (key === 'exam' ? 10001 : 1001)));
        let set = changed.get(e);
        if (!set) changed.set(e, (set = new Set()));
        set.add(key);
      }
      const storedBefore = new Set(stored().map((r) => r.enrolmentId));
      partial += [...changed.keys()].filter((e) => storedBefore.has(e)).length;
      await panels.recomputeCriteria(m, competition, changed, await panels.entryFacts(m, [...changed.keys()]));
      const fromScratch = await panels.standings(m, competition);
      const want = new Map(fromScratch.map((r) => [r.enrolmentId, { enrolmentId: r.enrolmentId, total: r.total, sections: r.sections, criteria: r.criteria, penalties: r.penalties, complete: r.complete }]));
      // Every stored standing equals its recomputation (entries without marks have none from scratch).
      for (const r of stored()) {
        const w = want.get(String(r.enrolmentId));
        if (w) expect(r).toEqual(w);
        else expect(r).toMatchObject({ total: null, complete: false });
      }
    }
    expect(partial).toBeGreaterThan(50);
    db.close();
  });
});
