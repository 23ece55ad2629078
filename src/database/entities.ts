import { AuditEntry } from '../modules/audit/audit-entry.entity';
import { User } from '../modules/identity/user.entity';
import { Worker } from '../modules/identity/worker.entity';
import { Organization } from '../modules/organizations/organization.entity';
import { HandledEvent } from '../modules/queue/handled-event.entity';
import { OutboxEvent } from '../modules/queue/outbox-event.entity';
import { Foundation1764300000000 } from './migrations/1764300000000-Foundation';
import { Competitions1764400000000 } from './migrations/1764400000000-Competitions';
import { Competition } from '../modules/competitions/competition.entity';
import { Enrolment } from '../modules/enrolment/enrolment.entity';
import { Judging1764500000000 } from './migrations/1764500000000-Judging';
import { ScoresCoveringIndex1764900000000 } from './migrations/1764900000000-ScoresCoveringIndex';
import { JudgeAssignment } from '../modules/scoring/judge-assignment.entity';
import { JudgeConflict } from '../modules/scoring/judge-conflict.entity';
import { EntryScore, MarkReceipt, Penalty, Score, ScoreRevision } from '../modules/scoring/score.entity';
import { RESULTS_ENTITIES, RESULTS_MIGRATIONS } from '../modules/results/results.schema';
import { AWARDS_ENTITIES, AWARDS_MIGRATIONS } from '../modules/awards/awards.schema';
import { CERTIFICATES_ENTITIES, CERTIFICATES_MIGRATIONS } from '../modules/certificates/certificates.schema';

/** Every entity and migration, listed once for the app and for the TypeORM CLI (ormconfig.ts). */
export const ENTITIES = [Organization, User, Worker, OutboxEvent, HandledEvent, AuditEntry, Competition, Enrolment, JudgeAssignment, JudgeConflict, Score, ScoreRevision, MarkReceipt, Penalty, EntryScore, ...RESULTS_ENTITIES, ...AWARDS_ENTITIES, ...CERTIFICATES_ENTITIES];
export const MIGRATIONS = [Foundation1764300000000, Competitions1764400000000, Judging1764500000000, ...RESULTS_MIGRATIONS, ...AWARDS_MIGRATIONS, ...CERTIFICATES_MIGRATIONS, ScoresCoveringIndex1764900000000];
