import { jobId, SYSTEM_QUEUE } from '../queue/queue.constants';

export const SYSTEM_JOBS = { queueCheck: 'queue-check' } as const;
export interface QueueCheckPayload {
  ownerId: string;
  requestedAt: string;
}
export const queueCheckJobId = (requestId: string) => jobId('queue-check', requestId);
export { SYSTEM_QUEUE };
