import { Inject, Injectable, Logger } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { AuthUser } from '../../../common/auth/auth-user';
import { DomainError } from '../../../common/errors/domain-error';
import { escapeLike } from '../../../common/pagination';
import { Db } from '../../../database/db.service';
import { AuditService } from '../../audit/audit.service';
import { Competition } from '../../competitions/competition.entity';
import { CompetitionsService } from '../../competitions/competitions.service';
import { FILE_STORE, FileStore } from '../../files/file-store';
import { Worker } from '../../identity/worker.entity';
import { WorkersService } from '../../identity/workers.service';
import { Organization } from '../../organizations/organization.entity';
import { QueueService } from '../../queue/queue.service';
import { EnrolContext, EnrolmentService } from '../enrolment.service';
import { ENROLMENT_IMPORT_JOBS, ENROLMENT_IMPORT_QUEUE, EnrolmentImportPayload, importFileKey, importJobId } from './enrolment-import.queue';
import { decodeCsvText, detectFormat, ImportFileError, parseCsv, readTable } from './import-file';
import { buildImportTemplate } from './import-template';
import { checkRows, mapHeaders, OrgDirectory, OrgRef, requiredFields, RowCheck, TITLE } from './import-rules';

/** Largest upload accepted (bigger ones are refused with 413 FILE_TOO_LARGE). */
export const MAX_IMPORT_BYTES = 20 * 1024 * 1024;

/**
 * Rows per transaction. Each chunk holds the competition's row lock (PostgreSQL) or the serial lock (SQLite)
 * for its duration; between chunks other requests get their turn.
 */
export const IMPORT_CHUNK_ROWS = 250;

export interface RejectedRow {
  /** Spreadsheet row number; the header is row 1. */
  row: number;
  reasons: string[];
}

/** The job's return value, shown by GET /api/jobs/:id. */
export interface ImportResult {
  /** Non-blank rows below the header. */
  total: number;
  imported: number;
  alreadyEnrolled: number;
  rejected: RejectedRow[];
}

/** The uploaded file, read into memory by the route (readImportUpload). */
export interface UploadedImportFile {
  originalname: string;
  buffer: Buffer;
  size: number;
}

/**
 * Progress of one import, kept beside the uploaded file and written after every committed chunk: a job that
 * runs again (retry after a failure, a stalled worker) resumes after the last committed chunk and reports
 * the same counts, and a job that finished answers with its result. No personal data: row numbers and reasons.
 * A run that stops between a chunk's commit and the write of this file repeats that chunk on the next run:
 * nothing is written twice, but the chunk's new entries then count as already enrolled.
 */
interface ImportState {
  version: 1;
  total: number;
  nextIndex: number;
  imported: number;
  alreadyEnrolled: number;
  rejected: RejectedRow[];
  done: boolean;
}

type RowOutcome = { row: number; kind: 'imported' | 'alreadyEnrolled' } | { row: number; kind: 'rejected'; reasons: string[] };

/** Thrown inside a row's savepoint to undo what the row wrote (a worker created for an entry that was then refused). */
class RowRefused extends Error {
  constructor(readonly reasons: string[]) {
    super('row refused');
  }
}

const isMissingFile = (e: unknown) => ['ENOENT', 'NoSuchKey', 'NotFound'].includes(String((e as { code?: string; name?: string })?.code ?? (e as { name?: string })?.name));

@Injectable()
export class EnrolmentImportService {
  private readonly logger = new Logger(EnrolmentImportService.name);

  constructor(
    private readonly db: Db,
    private readonly competitions: CompetitionsService,
    private readonly enrolment: EnrolmentService,
    private readonly workers: WorkersService,
    private readonly queues: QueueService,
    private readonly audit: AuditService,
    @Inject(FILE_STORE) private readonly files: FileStore,
  ) {}

  /**
   * Checks what is cheap to check (who, state, format, CSV encoding and header row), stores the file and
   * enqueues the job. An XLSX's header row is checked by the job, which streams the workbook: reading it here
   * would cost the API the work of unzipping the whole file.
   */
  async start(user: AuthUser, competitionId: string, file: UploadedImportFile | undefined): Promise<{ jobId: string }> {
    const c = await this.competitions.getManaged(user, competitionId);
    if (!file) throw DomainError.invalid('VALIDATION_FAILED', ['file is required: send the CSV or XLSX file as the multipart field "file"']);
    if (c.status !== 'enrolment_open') throw DomainError.conflict('WRONG_STATE', `entries are imported while enrolment is open; the competition is ${c.status}`);
    let format: 'csv' | 'xlsx';
    try {
      format = detectFormat(file.buffer, file.originalname);
      if (format === 'csv') {
        const { header } = parseCsv(decodeCsvText(file.buffer), { headerOnly: true });
        const mapping = mapHeaders(header, requiredFields(c));
        if (!mapping.ok) throw new DomainError('invalid', 'IMPORT_COLUMNS_MISSING', mapping.errors);
      }
    } catch (e) {
      if (e instanceof ImportFileError) throw DomainError.invalid('IMPORT_FILE_INVALID', [`file: ${e.message}`]);
      throw e;
    }
    const importId = randomUUID();
    const fileKey = importFileKey(importId, format);
    await this.files.put(fileKey, file.buffer);
    const payload: EnrolmentImportPayload = { competitionId: c.id, fileKey, format, ownerId: user.id };
    try {
      const job = await this.queues.addForRequest(ENROLMENT_IMPORT_QUEUE, ENROLMENT_IMPORT_JOBS.import, payload, { jobId: importJobId(importId) });
      return { jobId: job.id! };
    } catch (e) {
      await this.files.delete(fileKey).catch(() => undefined);
      throw e;
    }
  }

  async template(user: AuthUser, competitionId: string): Promise<Buffer> {
    const c = await this.competitions.getManaged(user, competitionId);
    const { orgs } = await this.eligibleOrganizations(c);
    return buildImportTemplate({ competitionTitle: c.title, trade: c.trade, organizations: orgs });
  }

  /**
   * The job. Idempotent: workers are found by ID number before one is created, an entry that exists counts
   * as already enrolled, the database's unique keys are the final guard, and the progress file lets a second
   * run resume after the last committed chunk. Whole-file problems fail the job without retries.
   */
  async run(jobId: string, p: EnrolmentImportPayload, progress: (percent: number) => Promise<void>): Promise<ImportResult> {
    const stateKey = `${p.fileKey}.state.json`;
    const saved = await this.readState(stateKey);
    if (saved?.done) {
      await this.files.delete(p.fileKey);
      return resultOf(saved);
    }
    const data = await this.files.get(p.fileKey).catch((e: unknown) => {
      throw isMissingFile(e) ? new UnrecoverableError('the uploaded file is no longer stored: upload it again') : e;
    });
    const competition = await this.competitions.getEntity(p.competitionId).catch((e: unknown) => {
      throw e instanceof DomainError && e.kind === 'not_found' ? new UnrecoverableError('the competition no longer exists') : e;
    });

    let checks: RowCheck[];
    try {
      const table = await readTable(data, p.format);
      const mapping = mapHeaders(table.header, requiredFields(competition));
      if (!mapping.ok) throw new ImportFileError(mapping.errors.join('; '));
      const { orgs, root } = await this.eligibleOrganizations(competition);
      checks = checkRows(table.rows, mapping.columns, new OrgDirectory(orgs, root.name));
      if (checks.length === 0) throw new ImportFileError('the file has no rows below the header');
    } catch (e) {
      if (e instanceof ImportFileError) throw new UnrecoverableError(e.message);
      if (e instanceof DomainError && e.kind === 'not_found') throw new UnrecoverableError(e.message);
      throw e;
    }

    const state: ImportState = saved && saved.total === checks.length ? saved : { version: 1, total: checks.length, nextIndex: 0, imported: 0, alreadyEnrolled: 0, rejected: [], done: false };
    const started = Date.now();
    while (state.nextIndex < checks.length) {
      const chunk = checks.slice(state.nextIndex, state.nextIndex + IMPORT_CHUNK_ROWS);
      const last = state.nextIndex + chunk.length >= checks.length;
      const outcomes = await this.db.transaction(async (m) => {
        const c = await this.competitions.lockForUpdate(m, p.competitionId);
        const ctx = await this.enrolment.context(m, c);
        const registered = await this.registeredIdNumbers(m, chunk);
        const out: RowOutcome[] = [];
        for (const check of chunk) out.push(await this.importRow(m, ctx, check, p.ownerId, registered));
        if (last) {
          const counts = tally(state, out);
          await this.audit.record(m, {
            actorId: p.ownerId,
            action: 'enrolment.import',
            entityType: 'competition',
            entityId: p.competitionId,
            after: { jobId, fileKey: p.fileKey, format: p.format, total: counts.total, imported: counts.imported, alreadyEnrolled: counts.alreadyEnrolled, rejected: counts.rejected.length },
          });
        }
        return out;
      });
      // Committed: record it, then tell Redis (never from inside the transaction).
      Object.assign(state, tally(state, outcomes), { nextIndex: state.nextIndex + chunk.length, done: last });
      await this.writeState(stateKey, state);
      await progress(last ? 100 : Math.floor((state.nextIndex * 100) / checks.length));
    }
    await this.files.delete(p.fileKey);
    const result = resultOf(state);
    this.logger.log({ jobId, competitionId: p.competitionId, total: result.total, imported: result.imported, alreadyEnrolled: result.alreadyEnrolled, rejected: result.rejected.length, ms: Date.now() - started }, 'enrolment import finished');
    return result;
  }

  /** Removes the uploaded file of an import that will not run again (it holds ID numbers in the clear). */
  async discard(p: EnrolmentImportPayload): Promise<void> {
    await this.files.delete(p.fileKey).catch(() => undefined);
  }

  /**
   * One row. A row whose worker is new runs in its own savepoint, so that a row refused by the entry rules leaves
   * nothing behind, not even the worker created for it. A row whose worker is registered needs none: finding
   * the worker writes nothing, and tryEnrol writes only when it accepts.
   */
  private async importRow(m: EntityManager, ctx: EnrolContext, check: RowCheck, ownerId: string, registered: Set<string>): Promise<RowOutcome> {
    if (!check.input) return { row: check.row, kind: 'rejected', reasons: check.reasons };
    const input = check.input;
    const attempt = async (tm: EntityManager): Promise<RowOutcome> => {
      const worker = await this.enrolment.findOrCreateWorker(tm, input);
      const outcome = await this.enrolment.tryEnrol(tm, ctx, worker, 'import', ownerId, false);
      if (outcome.ok) return { row: check.row, kind: 'imported' };
      if (outcome.code === 'ALREADY_ENROLLED') return { row: check.row, kind: 'alreadyEnrolled' };
      throw new RowRefused(outcome.reasons);
    };
    try {
      return registered.has(input.idNumber) ? await attempt(m) : await m.transaction(attempt);
    } catch (e) {
      if (e instanceof RowRefused) return { row: check.row, kind: 'rejected', reasons: e.reasons };
      if (e instanceof DomainError && e.code === 'WORKER_NAME_MISMATCH') {
        return { row: check.row, kind: 'rejected', reasons: [`${TITLE.name}: does not match the name of the worker registered with this ${TITLE.idNumber}`] };
      }
      // Anything else (a concurrent registration of the same number, the database away) fails the chunk; the job is retried.
      throw e;
    }
  }

  /** ID numbers of the chunk that belong to registered workers: one query per chunk. Workers are never deleted, so a stale answer only costs a savepoint. */
  private async registeredIdNumbers(m: EntityManager, chunk: RowCheck[]): Promise<Set<string>> {
    const byHash = new Map<string, string>();
    for (const c of chunk) if (c.input) byHash.set(this.workers.lookupHash(c.input.idNumber)!, c.input.idNumber);
    if (byHash.size === 0) return new Set();
    const rows = await m.createQueryBuilder(Worker, 'w').select('w.idNumberHash', 'hash').where('w.idNumberHash IN (:...hashes)', { hashes: [...byHash.keys()] }).getRawMany<{ hash: string }>();
    return new Set(rows.map((r) => byHash.get(r.hash)!));
  }

  /** The organizations a row may name: the competition's eligible subtree, read once per job. */
  private async eligibleOrganizations(c: Competition): Promise<{ root: Organization; orgs: OrgRef[] }> {
    return this.db.run(async (m) => {
      const { eligibleRoot: root } = await this.enrolment.context(m, c);
      const rows = await m
        .createQueryBuilder(Organization, 'o')
        .select(['o.id', 'o.name'])
        .where("o.path LIKE :prefix ESCAPE '\\'", { prefix: `${escapeLike(root.path)}%` })
        .getMany();
      return { root, orgs: rows.map((o) => ({ id: o.id, name: o.name })) };
    });
  }

  private async readState(key: string): Promise<ImportState | undefined> {
    try {
      const s = JSON.parse((await this.files.get(key)).toString('utf8')) as ImportState;
      return s.version === 1 ? s : undefined;
    } catch (e) {
      if (isMissingFile(e)) return undefined;
      throw e;
    }
  }

  private async writeState(key: string, s: ImportState): Promise<void> {
    await this.files.put(key, Buffer.from(JSON.stringify(s)));
  }
}

function tally(s: ImportState, outcomes: RowOutcome[]): Pick<ImportState, 'total' | 'imported' | 'alreadyEnrolled' | 'rejected'> {
  const out = { total: s.total, imported: s.imported, alreadyEnrolled: s.alreadyEnrolled, rejected: [...s.rejected] };
  for (const o of outcomes) {
    if (o.kind === 'imported') out.imported++;
    else if (o.kind === 'alreadyEnrolled') out.alreadyEnrolled++;
    else if (o.kind === 'rejected') out.rejected.push({ row: o.row, reasons: o.reasons });
  }
  return out;
}

const resultOf = (s: ImportState): ImportResult => ({ total: s.total, imported: s.imported, alreadyEnrolled: s.alreadyEnrolled, rejected: s.rejected });
