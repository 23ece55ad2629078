import { jobId } from '../queue/queue.constants';
import { QueueService } from '../queue/queue.service';

/** Certificate rendering, run by workers; jobs come from outbox events written where awards are issued. */
export const CERTIFICATES_QUEUE = 'certificates';
/** The job name is the outbox event's type (the dispatcher names jobs after their event). */
export const CERTIFICATE_JOBS = { render: 'certificate.render' } as const;

/** Ids only; `eventId`/`eventType` are added by the outbox dispatcher. */
export interface CertificateJobPayload {
  certificateId: string;
  awardId: string;
  eventId?: string;
  eventType?: string;
}

/**
 * `certificate-<awardId>` for the first rendering, `certificate-<awardId>-retry-<n>` for the n-th retry an
 * organizer asks for: BullMQ keeps a failed job's id and would silently drop a new job under it.
 */
export const certificateJobId = (awardId: string, retry = 0) => (retry > 0 ? jobId('certificate', awardId, 'retry', String(retry)) : jobId('certificate', awardId));

/** Where the PDF of a serial is stored: a re-render overwrites the same file. */
export const certificateFileKey = (serial: string) => `certificates/${serial}.pdf`;

// Known at import time, so that the queue dashboard and GET /api/jobs/:id look in this queue too.
QueueService.declare(CERTIFICATES_QUEUE);
