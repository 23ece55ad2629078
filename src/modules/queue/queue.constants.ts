import type { JobsOptions } from 'bullmq';

/** Queue names. Feature queues (certificates, imports, exports) add theirs in their own <feature>.queue.ts. */
export const DOMAIN_EVENTS_QUEUE = 'domain-events';
export const SYSTEM_QUEUE = 'system';

/** Retries with exponential backoff; finished jobs kept bounded (by age and count). */
export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { age: 24 * 3600, count: 5000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 10000 },
};

/** BullMQ refuses ':' in custom job ids and silently drops a reused one: ids are built here only. */
export function jobId(...parts: string[]): string {
  const id = parts.join('-');
  if (id.includes(':')) throw new Error(`job id may not contain ':' (${id})`);
  return id;
}
