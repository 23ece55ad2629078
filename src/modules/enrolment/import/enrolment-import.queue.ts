import { jobId } from '../../queue/queue.constants';
import { QueueService } from '../../queue/queue.service';

/** Bulk enrolment imports (CSV/XLSX → entries), run by a worker. */
export const ENROLMENT_IMPORT_QUEUE = 'enrolment-imports';
export const ENROLMENT_IMPORT_JOBS = { import: 'import' } as const;

export type ImportFormat = 'csv' | 'xlsx';

/** Ids only: the file itself is in the FileStore under `fileKey`. `ownerId` lets GET /api/jobs/:id show the job to its owner. */
export interface EnrolmentImportPayload {
  competitionId: string;
  fileKey: string;
  format: ImportFormat;
  ownerId: string;
}

/** One id per upload (the same uuid names the stored file): a new upload is new work, never a reused id. */
export const importJobId = (importId: string) => jobId('import', importId);
export const importFileKey = (importId: string, format: ImportFormat) => `imports/${importId}.${format}`;

// Known at import time, so that the queue dashboard and GET /api/jobs/:id look in this queue too.
QueueService.declare(ENROLMENT_IMPORT_QUEUE);
