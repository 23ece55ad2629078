import { Injectable, Logger, MessageEvent, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { Observable, Subscriber } from 'rxjs';
import type { EntitySubscriberInterface, QueryRunner, RemoveEvent, TransactionCommitEvent, TransactionRollbackEvent, UpdateEvent } from 'typeorm';
import { AuthUser } from '../../common/auth/auth-user';
import { DomainError } from '../../common/errors/domain-error';
import { pageParams } from '../../common/pagination';
import { Db } from '../../database/db.service';
import { Competition } from '../competitions/competition.entity';
import { CompetitionRole, CompetitionsService } from '../competitions/competitions.service';
import { CompetitionStatus } from '../competitions/domain/competition.types';
import { Enrolment } from '../enrolment/enrolment.entity';
import { maskName } from '../identity/domain/masking';
import { Worker } from '../identity/worker.entity';
import { Organization } from '../organizations/organization.entity';
import { LiveEventsService } from '../queue/live-events.service';
import { STANDINGS_TOPIC } from '../queue/live-topics';
import { fromHundredths } from '../scoring/domain/arithmetic';
import { EntryScore } from '../scoring/score.entity';
import { RankInput, rankEntries } from './domain/ranking';
import { RankingChangeEvent, RankingItem, RankingQuery, RankingView } from './dto/ranking.dto';
import { RebuildCache } from './ranking.cache';
import { numOrNull as num, truthy } from '../../database/raw-values';

/** Who is looking decides what a line shows (see `project`). */
export type RankingViewer = 'organizer' | 'judge' | 'public';

/** States in which anyone may see the ranking, with masked names. */
const PUBLIC_STATUSES: CompetitionStatus[] = ['published', 'finalized'];
/** Bounds staleness should an invalidation be missed (Redis down for a moment, a change not announced). */
export const RANKING_TTL_MS = 30_000;
const RANKING_CACHE_KEYS = 500;
/** Callers whose roles are kept (see `rolesOf`); the least recently found go first. */
const ROLE_CACHE_KEYS = 5_000;
/** How long a competition row is kept: a change made by another process (status, visibility) shows within this. */
export const COMPETITION_TTL_MS = 1_000;
/** A comment line that keeps proxies from closing an idle event stream. */
export const HEARTBEAT_MS = 15_000;

/** One line of the cached list: every form of the name, so a read only picks one. */
interface Standing extends Omit<RankingItem, 'name' | 'organization'> {
  fullName: string;
  maskedName: string;
  employer: string | null;
}

interface RankedList {
  items: Standing[];
  computedAt: string;
  /** Answers already serialized from this list, by viewer, status and page (see `page`). */
  pages: Map<string, RankingPage>;
}

/** A serialized answer: the JSON body and its weak ETag. */
export interface RankingPage {
  body: Buffer;
  etag: string;
}

/** Pages kept per list: viewers × page sizes actually asked for; the oldest go first. */
const PAGES_PER_LIST = 64;

interface RawStanding {
  id: string;
  status: string;
  bib: number | string | null;
  time_used: number | string | null;
  name: string;
  employer: string | null;
  total: number | string | null;
  sections: string | null;
  complete: boolean | number | string | null;
}

/**
 * The live ranking of a competition. Reads never recompute from marks: the scoring module keeps each
 * entry's standing (`entry_scores`) current in the same transaction as every mark, and this service
 * keeps, per process and competition, the ranked list built from those standings, the approved entries
 * and the names. The list is marked dirty by every STANDINGS_TOPIC live event — from this process at
 * once, from other API processes through Redis pub/sub — and rebuilt by the next read; a TTL covers a
 * missed event and the competition's version covers what events do not announce (a redraw of bibs).
 * The same events feed the Server-Sent Events of every subscriber in this process.
 */
@Injectable()
export class RankingService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(RankingService.name);
  private readonly cache = new RebuildCache<RankedList>({ ttlMs: RANKING_TTL_MS, maxKeys: RANKING_CACHE_KEYS });
  /** SSE subscribers in this process, by competition. */
  private readonly feeds = new Map<string, Set<Subscriber<MessageEvent>>>();
  private unsubscribe?: () => void;
  /** Competition rows read lately, by id (see `competition`). */
  private readonly competitionRows = new Map<string, { c: Competition; at: number }>();
  /** Bumped by every change of a competition row: a read that started before it keeps nothing. */
  private competitionEpoch = 0;
  /** The caller's roles in a competition, found lately, by "<competitionId>|<userId>" (see `rolesOf`). */
  private readonly roleRows = new Map<string, { c: Competition; token: string; roles: Set<CompetitionRole>; at: number }>();
  /** Bumped by every panel change: a role lookup that started before it keeps nothing. */
  private roleEpoch = 0;
  /** Competition rows changed by a transaction not yet committed, by its query runner. */
  private readonly pendingRows = new WeakMap<QueryRunner, Set<string | undefined>>();

  constructor(
    private readonly db: Db,
    private readonly competitions: CompetitionsService,
    private readonly live: LiveEventsService,
  ) {}

  onModuleInit(): void {
    this.unsubscribe = this.live.subscribe(STANDINGS_TOPIC, (p) => this.changed(p));
    this.db.dataSource.subscribers.push(this.competitionWatcher);
  }

  /** Drops kept competition rows when TypeORM changes them in this process: at once, and once committed. */
  private readonly competitionWatcher: EntitySubscriberInterface<Competition> = {
    listenTo: () => Competition,
    afterUpdate: (e: UpdateEvent<Competition>) => this.rowChanged(e.queryRunner, (e.entity as Partial<Competition> | undefined)?.id ?? e.databaseEntity?.id),
    afterRemove: (e: RemoveEvent<Competition>) => this.rowChanged(e.queryRunner, e.entityId ?? e.databaseEntity?.id),
    afterSoftRemove: (e: RemoveEvent<Competition>) => this.rowChanged(e.queryRunner, e.entityId ?? e.databaseEntity?.id),
    afterTransactionCommit: (e: TransactionCommitEvent) => this.settle(e.queryRunner),
    afterTransactionRollback: (e: TransactionRollbackEvent) => this.settle(e.queryRunner),
  };

  private rowChanged(runner: QueryRunner | undefined, id: unknown): void {
    const key = typeof id === 'string' ? id : undefined;
    this.competitionChanged(key);
    if (runner?.isTransactionActive) {
      let pending = this.pendingRows.get(runner);
      if (!pending) this.pendingRows.set(runner, (pending = new Set()));
      pending.add(key);
    }
  }

  private settle(runner: QueryRunner): void {
    const pending = this.pendingRows.get(runner);
    if (!pending) return;
    this.pendingRows.delete(runner);
    for (const id of pending) this.competitionChanged(id);
  }

  /** Ends every open event stream, so that the HTTP server can close. */
  onModuleDestroy(): void {
    this.unsubscribe?.();
    const i = this.db.dataSource.subscribers.indexOf(this.competitionWatcher);
    if (i >= 0) this.db.dataSource.subscribers.splice(i, 1);
    for (const feed of this.feeds.values()) for (const s of [...feed]) s.complete();
    this.feeds.clear();
  }

  async ranking(user: AuthUser | undefined, competitionId: string, q: RankingQuery): Promise<RankingView> {
    return JSON.parse((await this.page(user, competitionId, q)).body.toString('utf8')) as RankingView;
  }

  /**
   * The answer of GET /ranking, serialized once per list, viewer kind, status and page: reads between
   * two changes of the standings send the same bytes (and ETag) without building or stringifying them.
   */
  async page(user: AuthUser | undefined, competitionId: string, q: RankingQuery): Promise<RankingPage> {
    const { competition: c, viewer } = await this.access(user, competitionId);
    const list = await this.list(c);
    const { take, skip } = pageParams(q);
    const key = `${viewer}|${c.status}|${take}|${skip}`;
    let page = list.pages.get(key);
    if (!page) {
      const view: RankingView = {
        items: list.items.slice(skip, skip + take).map((s) => project(s, viewer)),
        total: list.items.length,
        status: c.status,
        computedAt: list.computedAt,
      };
      const body = Buffer.from(JSON.stringify(view), 'utf8');
      page = { body, etag: weakEtag(body) };
      if (list.pages.size >= PAGES_PER_LIST) list.pages.delete(list.pages.keys().next().value!);
      list.pages.set(key, page);
    }
    return page;
  }

  /**
   * Server-Sent Events: one per change of the competition's standings, wherever it was made. The
   * stream is open to whoever may read the ranking (checked once, when it opens: 404 otherwise).
   */
  async events(user: AuthUser | undefined, competitionId: string): Promise<Observable<MessageEvent>> {
    await this.access(user, competitionId);
    return new Observable<MessageEvent>((subscriber) => {
      let feed = this.feeds.get(competitionId);
      if (!feed) this.feeds.set(competitionId, (feed = new Set()));
      feed.add(subscriber);
      const heartbeat = setInterval(() => subscriber.next({ comment: 'heartbeat' }), HEARTBEAT_MS);
      heartbeat.unref();
      // Runs when the client disconnects (Nest unsubscribes) or the stream completes.
      return () => {
        clearInterval(heartbeat);
        feed.delete(subscriber);
        if (feed.size === 0 && this.feeds.get(competitionId) === feed) this.feeds.delete(competitionId);
      };
    });
  }

  /** Open event streams of a competition in this process (for health checks and tests). */
  subscriberCount(competitionId: string): number {
    return this.feeds.get(competitionId)?.size ?? 0;
  }

  /**
   * Organizers of the competition always; its judges once it has left draft; anyone else (anonymous
   * included) once results are published. What the caller may not see answers 404 (API.md).
   */
  private async access(user: AuthUser | undefined, competitionId: string): Promise<{ competition: Competition; viewer: RankingViewer }> {
    const competition = await this.competition(competitionId);
    const roles = user ? await this.rolesOf(user, competition) : new Set<CompetitionRole>();
    // An organizer who also sits on the panel sees names: the enrolment lists show them those anyway.
    if (roles.has('organizer')) return { competition, viewer: 'organizer' };
    if (competition.status === 'draft') throw DomainError.notFound('competition', 'COMPETITION_NOT_FOUND');
    if (roles.has('judge') || roles.has('chief_judge')) return { competition, viewer: 'judge' };
    if (PUBLIC_STATUSES.includes(competition.status)) return { competition, viewer: 'public' };
    throw new DomainError('not_found', 'RANKING_NOT_PUBLISHED', 'the ranking of this competition is public once its results are published');
  }

  /**
   * CompetitionsService.rolesOf, kept as long as the competition row it was found for (at most
   * COMPETITION_TTL_MS) and dropped by every panel change (a judge assigned: its STANDINGS_TOPIC event,
   * from this process at once, from others through Redis). The key holds what the token says of the
   * caller (roles, organization), so a new token with other roles looks again.
   */
  private async rolesOf(user: AuthUser, c: Competition): Promise<Set<CompetitionRole>> {
    const key = `${c.id}|${user.id}`;
    const token = `${user.roles.join(',')}|${user.organizationId ?? ''}`;
    const hit = this.roleRows.get(key);
    if (hit && hit.c === c && hit.token === token && Date.now() - hit.at < COMPETITION_TTL_MS) return hit.roles;
    const epoch = this.roleEpoch;
    const at = Date.now();
    const roles = await this.competitions.rolesOf(user, c);
    if (epoch === this.roleEpoch) {
      this.roleRows.delete(key);
      if (this.roleRows.size >= ROLE_CACHE_KEYS) this.roleRows.delete(this.roleRows.keys().next().value!);
      this.roleRows.set(key, { c, token, roles, at });
    }
    return roles;
  }

  /**
   * The competition row, kept at most COMPETITION_TTL_MS. A change made through TypeORM in this process
   * (a transition, an update, a draw) drops it at once and again when its transaction commits, so the
   * very next read sees it; a change made by another process is seen within the TTL.
   */
  private async competition(id: string): Promise<Competition> {
    const hit = this.competitionRows.get(id);
    if (hit && Date.now() - hit.at < COMPETITION_TTL_MS) return hit.c;
    const epoch = this.competitionEpoch;
    const at = Date.now();
    const c = await this.competitions.getEntity(id);
    if (epoch === this.competitionEpoch) {
      this.competitionRows.delete(id);
      if (this.competitionRows.size >= RANKING_CACHE_KEYS) this.competitionRows.delete(this.competitionRows.keys().next().value!);
      this.competitionRows.set(id, { c, at });
    }
    return c;
  }

  /** Forgets the competition rows kept (one, or all when the change does not name its row). */
  private competitionChanged(id?: unknown): void {
    this.competitionEpoch++;
    if (typeof id === 'string') this.competitionRows.delete(id);
    else this.competitionRows.clear();
  }

  private list(c: Competition): Promise<RankedList> {
    return this.cache.get(c.id, String(c.version), () => this.build(c));
  }

  private changed(payload: Record<string, unknown>): void {
    const competitionId = payload.competitionId;
    if (payload.reason === 'panel' || typeof competitionId !== 'string') {
      // Who is a judge of the competition may have changed.
      this.roleEpoch++;
      this.roleRows.clear();
    }
    if (typeof competitionId !== 'string') return;
    this.cache.invalidate(competitionId);
    const feed = this.feeds.get(competitionId);
    if (!feed?.size) return;
    const data: RankingChangeEvent = {
      competitionId,
      ...(Array.isArray(payload.enrolmentIds) ? { enrolmentIds: payload.enrolmentIds.map(String) } : {}),
      reason: typeof payload.reason === 'string' ? payload.reason : 'change',
      at: typeof payload.at === 'string' ? payload.at : new Date().toISOString(),
    };
    for (const s of feed) s.next({ data });
  }

  /** The ranked list from the stored standings: one query, then the pure ranking. */
  private async build(c: Competition): Promise<RankedList> {
    const computedAt = new Date().toISOString();
    const started = Date.now();
    const rows = await this.db.run((m) =>
      m
        .createQueryBuilder(Enrolment, 'e')
        .innerJoin(Worker, 'w', 'w.id = e.worker_id')
        .leftJoin(Organization, 'o', 'o.id = w.employer_org_id')
        .leftJoin(EntryScore, 's', 's.enrolment_id = e.id')
        .select([
          'e.id AS id',
          'e.status AS status',
          'e.bib AS bib',
          'e.time_used_seconds AS time_used',
          'w.name AS name',
          'o.name AS employer',
          's.total AS total',
          's.sections AS sections',
          's.complete AS complete',
        ])
        .where('e.competition_id = :id', { id: c.id })
        // Absent, disqualified, withdrawn, rejected and pending entries are not in the ranking.
        .andWhere("e.status = 'approved'")
        .getRawMany<RawStanding>(),
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    const inputs: RankInput[] = rows.map((r) => ({
      enrolmentId: r.id,
      status: r.status,
      bib: num(r.bib),
      timeUsedSeconds: num(r.time_used),
      total: num(r.total),
      sections: r.sections ? (JSON.parse(r.sections) as Record<string, number | null>) : {},
      complete: truthy(r.complete),
    }));
    const sectionKeys = (c.scoring?.sections ?? []).map((s) => s.key);
    const items = rankEntries(inputs, c.tieBreakers ?? []).map((e): Standing => {
      const r = byId.get(e.enrolmentId)!;
      return {
        rank: e.rank,
        enrolmentId: e.enrolmentId,
        bib: e.bib,
        fullName: r.name,
        maskedName: maskName(r.name),
        employer: r.employer,
        total: e.total === null ? null : fromHundredths(e.total),
        sections: Object.fromEntries(sectionKeys.map((k) => [k, e.sections[k] == null ? null : fromHundredths(e.sections[k]!)])),
        complete: e.complete,
      };
    });
    this.logger.debug({ competitionId: c.id, entries: items.length, ms: Date.now() - started }, 'ranking rebuilt');
    return { items, computedAt, pages: new Map() };
  }
}

/** A weak ETag of the body, as the `etag` package computes it: W/"<length in hex>-<sha1, base64, 27 chars>". */
function weakEtag(body: Buffer): string {
  if (body.length === 0) return 'W/"0-2jmj7l5rSw0yVb/vlWAYkK/YBwk"';
  return `W/"${body.length.toString(16)}-${createHash('sha1').update(body).digest('base64').substring(0, 27)}"`;
}

/**
 * What a viewer sees of a line. Judges judge blind: the ranking must not let them put a name or a unit
 * to a bib they are still marking, so for them both are null. The public sees the employer and a
 * masked name (张*明); organizers see everything.
 */
function project(s: Standing, viewer: RankingViewer): RankingItem {
  return {
    rank: s.rank,
    enrolmentId: s.enrolmentId,
    bib: s.bib,
    name: viewer === 'organizer' ? s.fullName : viewer === 'public' ? s.maskedName : null,
    organization: viewer === 'judge' ? null : s.employer,
    total: s.total,
    sections: s.sections,
    complete: s.complete,
  };
}
