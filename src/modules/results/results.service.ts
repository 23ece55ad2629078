import { Injectable, OnModuleInit } from '@nestjs/common';
import ExcelJS from 'exceljs';
import { randomUUID } from 'node:crypto';
import { EntityManager, In } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { AuthUser } from '../../common/auth/auth-user';
import { DomainError } from '../../common/errors/domain-error';
import { Page, pageParams } from '../../common/pagination';
import { Db } from '../../database/db.service';
import { AuditService } from '../audit/audit.service';
import { Competition } from '../competitions/competition.entity';
import { CompetitionsService, TransitionContext } from '../competitions/competitions.service';
import { CompetitionStatus } from '../competitions/domain/competition.types';
import { Enrolment } from '../enrolment/enrolment.entity';
import { maskName } from '../identity/domain/masking';
import { Worker } from '../identity/worker.entity';
import { WorkersService } from '../identity/workers.service';
import { Organization } from '../organizations/organization.entity';
import { fromHundredths } from '../scoring/domain/arithmetic';
import { JudgingService } from '../scoring/judging.service';
import { EntryScore } from '../scoring/score.entity';
import { exportTable, ExportLine, toCsv } from './domain/export-table';
import { noticePeriodEndsAt, planResults, resultValues, ResultValues, StandingInput } from './domain/results';
import { MyResultItem, PageQuery, PublicResultItem, PublicResultsQuery } from './dto/results.dto';
import { Result } from './result.entity';
import { numOrNull as num, truthy } from '../../database/raw-values';

/** Award labels per enrolment (奖项 column of the export), from the awards module to the right. */
export type AwardLabelsProvider = (m: EntityManager, competitionId: string) => Promise<Map<string, string[]>>;

/** States in which results are public and shown to contestants. */
export const RESULT_STATUSES: CompetitionStatus[] = ['published', 'finalized'];

export const XLSX_CONTENT_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

export interface ExportFile {
  data: Buffer;
  contentType: string;
  /** ASCII fallback and the UTF-8 (Chinese) name, for Content-Disposition */
  asciiName: string;
  utf8Name: string;
}

interface RawStanding {
  id: string;
  status: string;
  bib: number | string | null;
  time_used: number | string | null;
  worker_id: string;
  total: number | string | null;
  sections: string | null;
  penalties: number | string | null;
  complete: boolean | number | string | null;
}

const json = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));
const sectionsOut = (s: Record<string, number>) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, fromHundredths(v)]));

/**
 * Results (成绩): frozen into `results` rows when a competition is published (provisional), kept in step
 * with the standings while it is published (an upheld appeal lets the chief judge change marks), and
 * made final in the finalize transaction, where the awards effect (order 20) reads them. Rows come from
 * the stored standings (`entry_scores`) through the ranking's own pure function, so they rank exactly as
 * GET /ranking does; they are computed inside the transaction of the change, never from a cache.
 */
@Injectable()
export class ResultsService implements OnModuleInit {
  private readonly awardLabels: AwardLabelsProvider[] = [];

  constructor(
    private readonly db: Db,
    private readonly competitions: CompetitionsService,
    private readonly judging: JudgingService,
    private readonly workers: WorkersService,
    private readonly audit: AuditService,
  ) {}

  /** The awards module registers the labels of an entry's awards (奖项 in the export). */
  registerAwardLabels(p: AwardLabelsProvider): void {
    this.awardLabels.push(p);
  }

  onModuleInit(): void {
    this.competitions.registerTransitionEffect(10, (m, c, ctx) => this.onTransition(m, c, ctx));
    this.competitions.registerFactsProvider(async (_m, c, to) => {
      if (to !== 'finalized' || !c.publishedAt) return {};
      return { noticePeriodEndsAt: noticePeriodEndsAt(c.publishedAt, c.publicityDays).toISOString(), now: new Date().toISOString() };
    });
    this.judging.registerPublishedScoresListener(async (m, c, _enrolmentIds, actorId) => {
      await this.sync(m, c.id, { actorId, action: 'results.recompute' });
    });
  }

  private async onTransition(m: EntityManager, c: Competition, ctx: TransitionContext): Promise<void> {
    if (ctx.to === 'published') await this.sync(m, c.id, { actorId: ctx.user.id, action: 'results.publish', competition: c });
    else if (ctx.to === 'finalized') {
      await this.sync(m, c.id, { actorId: ctx.user.id, action: 'results.recompute', competition: c });
      const finalizedAt = new Date();
      await m.update(Result, { competitionId: c.id }, { final: true, finalizedAt });
      const count = await m.count(Result, { where: { competitionId: c.id } });
      await this.audit.record(m, { actorId: ctx.user.id, action: 'results.finalize', entityType: 'competition', entityId: c.id, after: { results: count, finalizedAt: finalizedAt.toISOString(), force: ctx.force } });
    }
  }

  /**
   * Brings the competition's result rows to its current standings, inside the caller's transaction:
   * inserts, updates only what changed (ranks can shift for every entry), and audits the changes.
   * On PostgreSQL the rows are locked first, so that two concurrent changes (two reopened entries
   * marked at once) apply one after the other and the later one reads the other's committed standing.
   */
  async sync(m: EntityManager, competitionId: string, how: { actorId: string | null; action: string; competition?: Competition }): Promise<void> {
    if (this.db.kind === 'postgres') {
      await m.createQueryBuilder(Result, 'r').select('r.id').where('r.competition_id = :id', { id: competitionId }).setLock('pessimistic_write').getMany();
    }
    // The listener gets a partial competition row (the marks path reads only a few columns): read it whole.
    const c = how.competition ?? (await m.findOne(Competition, { where: { id: competitionId } }));
    if (!c) throw DomainError.notFound('competition', 'COMPETITION_NOT_FOUND');
    const computed = resultValues(await this.standings(m, competitionId), c.tieBreakers ?? []);
    const stored = await m.find(Result, { where: { competitionId } });
    const plan = planResults(stored, computed);
    const now = new Date();
    const columns = (v: ResultValues) => ({ workerId: v.workerId, rank: v.rank, total: v.total, sections: v.sections, penalties: v.penalties, complete: v.complete, computedAt: now });
    for (let i = 0; i < plan.insert.length; i += 200) {
      const rows = plan.insert.slice(i, i + 200).map((v) => ({ id: randomUUID(), competitionId, enrolmentId: v.enrolmentId, ...columns(v), final: false, finalizedAt: null }));
      await m.insert(Result, rows as QueryDeepPartialEntity<Result>[]);
    }
    for (const u of plan.update) await m.update(Result, { id: u.id }, columns(u.values) as QueryDeepPartialEntity<Result>);
    if (plan.remove.length) await m.delete(Result, { id: In(plan.remove) });
    if (plan.changes.length || how.action === 'results.publish') {
      await this.audit.record(m, {
        actorId: how.actorId,
        action: how.action,
        entityType: 'competition',
        entityId: competitionId,
        after: { results: computed.length, changes: plan.changes.map((ch) => ({ enrolmentId: ch.enrolmentId, before: ch.before, after: ch.after })) },
      });
    }
  }

  /** The approved entries' stored standings (entry_scores), as GET /ranking reads them. */
  private async standings(m: EntityManager, competitionId: string): Promise<StandingInput[]> {
    const rows = await m
      .createQueryBuilder(Enrolment, 'e')
      .leftJoin(EntryScore, 's', 's.enrolment_id = e.id')
      .select([
        'e.id AS id',
        'e.status AS status',
        'e.bib AS bib',
        'e.time_used_seconds AS time_used',
        'e.worker_id AS worker_id',
        's.total AS total',
        's.sections AS sections',
        's.penalties AS penalties',
        's.complete AS complete',
      ])
      .where('e.competition_id = :id', { id: competitionId })
      .andWhere("e.status = 'approved'")
      .getRawMany<RawStanding>();
    return rows.map((r) => ({
      enrolmentId: r.id,
      status: r.status,
      bib: num(r.bib),
      timeUsedSeconds: num(r.time_used),
      workerId: r.worker_id,
      total: num(r.total),
      sections: r.sections ? json<Record<string, number | null>>(r.sections) : {},
      penalties: num(r.penalties) ?? 0,
      complete: truthy(r.complete),
    }));
  }

  // ── reads ──────────────────────────────────────────────────────────────────

  /** GET /api/workers/me/results: every entry of the caller's worker, with its result once published. */
  async mine(user: AuthUser, q: PageQuery): Promise<Page<MyResultItem>> {
    if (!user.workerId) throw DomainError.forbidden('only a user with a worker profile has results', 'NOT_A_WORKER');
    const { take, skip } = pageParams(q);
    const workerId = user.workerId;
    const [rows, total] = await this.db.run(async (m) => {
      const qb = m
        .createQueryBuilder(Enrolment, 'e')
        .innerJoin(Competition, 'c', 'c.id = e.competition_id')
        .leftJoin(Result, 'r', 'r.enrolment_id = e.id AND r.competition_id = e.competition_id')
        .select([
          'e.id AS enrolment_id',
          'e.status AS enrolment_status',
          'e.bib AS bib',
          'c.id AS competition_id',
          'c.title AS title',
          'c.status AS competition_status',
          'c.published_at AS published_at',
          'c.publicity_days AS publicity_days',
          'r.id AS result_id',
          'r.rank AS rank',
          'r.total AS total',
          'r.sections AS sections',
          'r.penalties AS penalties',
          'r.final AS final',
        ])
        .where('e.worker_id = :workerId', { workerId })
        .andWhere("c.status <> 'draft'")
        .orderBy('e.created_at', 'DESC')
        .addOrderBy('e.id', 'ASC')
        .offset(skip)
        .limit(take);
      const count = m.createQueryBuilder(Enrolment, 'e').innerJoin(Competition, 'c', 'c.id = e.competition_id').where('e.worker_id = :workerId', { workerId }).andWhere("c.status <> 'draft'").getCount();
      return Promise.all([qb.getRawMany<Record<string, unknown>>(), count]);
    });
    return {
      items: rows.map((r): MyResultItem => {
        const status = String(r.competition_status) as CompetitionStatus;
        const shown = RESULT_STATUSES.includes(status) && r.result_id != null;
        const publishedAt = r.published_at == null ? null : asDate(r.published_at);
        return {
          competitionId: String(r.competition_id),
          title: String(r.title),
          competitionStatus: status,
          enrolmentId: String(r.enrolment_id),
          enrolmentStatus: String(r.enrolment_status),
          bib: num(r.bib as number | null),
          publishedAt: publishedAt?.toISOString() ?? null,
          noticePeriodEndsAt: status === 'published' && publishedAt ? noticePeriodEndsAt(publishedAt, Number(r.publicity_days)).toISOString() : null,
          rank: shown ? num(r.rank as number | null) : null,
          total: shown ? fromHundredths(Number(r.total)) : null,
          sections: shown ? sectionsOut(json<Record<string, number>>(r.sections)) : null,
          penalties: shown ? fromHundredths(Number(r.penalties)) : null,
          final: shown && truthy(r.final),
        };
      }),
      total,
    };
  }

  /**
   * GET /api/public/results: a worker's published and final results, found by the keyed hash of the ID
   * number and only when the name matches too. An unknown person, a wrong name and a person without
   * published results all answer the same `{items: [], total: 0}`, after the same queries.
   */
  async lookup(q: PublicResultsQuery): Promise<Page<PublicResultItem>> {
    const hash = this.workers.lookupHash(q.idNumber);
    if (!hash) throw DomainError.invalid('VALIDATION_FAILED', ['idNumber is not a valid resident ID number']);
    return this.db.run(async (m) => {
      const w = await m.findOne(Worker, { where: { idNumberHash: hash }, select: { id: true, name: true } });
      const match = w && w.name.normalize('NFC') === q.name.normalize('NFC') ? w : null;
      const rows = await m
        .createQueryBuilder(Result, 'r')
        .innerJoin(Competition, 'c', 'c.id = r.competition_id')
        .select(['r.rank AS rank', 'r.total AS total', 'r.sections AS sections', 'r.final AS final', 'c.id AS competition_id', 'c.title AS title', 'c.level AS level', 'c.status AS status'])
        .where('r.worker_id = :workerId', { workerId: match?.id ?? '00000000-0000-0000-0000-000000000000' })
        .andWhere('c.status IN (:...statuses)', { statuses: RESULT_STATUSES })
        .orderBy('c.published_at', 'DESC')
        .addOrderBy('c.id', 'ASC')
        .limit(200)
        .getRawMany<Record<string, unknown>>();
      const items = rows.map(
        (r): PublicResultItem => ({
          competitionId: String(r.competition_id),
          title: String(r.title),
          level: String(r.level),
          status: String(r.status),
          name: maskName(match!.name),
          rank: num(r.rank as number | null),
          total: fromHundredths(Number(r.total)),
          sections: sectionsOut(json<Record<string, number>>(r.sections)),
          final: truthy(r.final),
        }),
      );
      return { items, total: items.length };
    });
  }

  // ── export ─────────────────────────────────────────────────────────────────

  /** 成绩表 of a published or finalized competition, for its organizers: XLSX or CSV (UTF-8 with BOM). */
  async export(user: AuthUser, competitionId: string, format: 'xlsx' | 'csv'): Promise<ExportFile> {
    const c = await this.competitions.getManaged(user, competitionId);
    if (!RESULT_STATUSES.includes(c.status)) throw DomainError.conflict('RESULTS_NOT_PUBLISHED', `results can be exported once the competition is published; it is ${c.status}`);
    const { lines } = await this.db.run(async (m) => {
      const rows = await m
        .createQueryBuilder(Result, 'r')
        .innerJoin(Enrolment, 'e', 'e.id = r.enrolment_id')
        .innerJoin(Worker, 'w', 'w.id = r.worker_id')
        .leftJoin(Organization, 'o', 'o.id = w.employer_org_id')
        .select(['r.enrolment_id AS enrolment_id', 'r.rank AS rank', 'r.total AS total', 'r.sections AS sections', 'r.penalties AS penalties', 'e.bib AS bib', 'w.name AS name', 'o.name AS employer'])
        .where('r.competition_id = :id', { id: competitionId })
        .getRawMany<Record<string, unknown>>();
      const labels = new Map<string, string[]>();
      for (const p of this.awardLabels) for (const [k, v] of await p(m, competitionId)) labels.set(k, [...(labels.get(k) ?? []), ...v]);
      return {
        lines: rows.map(
          (r): ExportLine => ({
            rank: num(r.rank as number | null),
            bib: num(r.bib as number | null),
            name: String(r.name),
            employer: r.employer == null ? null : String(r.employer),
            sections: json<Record<string, number>>(r.sections),
            penalties: Number(r.penalties),
            total: Number(r.total),
            awards: labels.get(String(r.enrolment_id)) ?? [],
          }),
        ),
      };
    });
    const table = exportTable((c.scoring?.sections ?? []).map((s) => ({ key: s.key, name: s.name })), lines);
    const base = `results-${c.id}`;
    const title = `${c.title}-成绩${c.status === 'finalized' ? '' : '(公示)'}`;
    if (format === 'csv') return { data: toCsv(table), contentType: 'text/csv; charset=utf-8', asciiName: `${base}.csv`, utf8Name: `${title}.csv` };
    return { data: await toXlsx(table, c.title), contentType: XLSX_CONTENT_TYPE, asciiName: `${base}.xlsx`, utf8Name: `${title}.xlsx` };
  }
}

function asDate(v: unknown): Date {
  if (v instanceof Date) return v;
  // SQLite returns 'YYYY-MM-DD HH:MM:SS.sss' in UTC for datetime columns.
  const s = String(v);
  return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(s) ? s : `${s.replace(' ', 'T')}Z`);
}

async function toXlsx(table: ReturnType<typeof exportTable>, title: string): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = '劳动技能竞赛管理系统';
  wb.title = title;
  const ws = wb.addWorksheet('成绩');
  const header = ws.addRow(table.headers);
  header.font = { bold: true };
  for (const r of table.rows) ws.addRow(r);
  for (const i of table.scoreColumns) ws.getColumn(i + 1).numFmt = '0.00';
  ws.getColumn(3).width = 12;
  ws.getColumn(4).width = 28;
  ws.views = [{ state: 'frozen', ySplit: 1 }];
  return Buffer.from(await wb.xlsx.writeBuffer());
}
