import type { Job } from 'bullmq';
import type { Socket } from 'node:net';

/** The resolved Redis client of this process's worker of each queue, by the queue's qualified name (`prefix:name`). */
const clients = new Map<string, { stream?: Socket }>();

/** WorkerHost registers each worker's client when it is connected, and forgets it when the worker closes. */
export function registerWorkerClient(queueQualifiedName: string, client: unknown): void {
  clients.set(queueQualifiedName, client as { stream?: Socket });
}

export function forgetWorkerClient(queueQualifiedName: string): void {
  clients.delete(queueQualifiedName);
}

/** The registered client of a queue's worker in this process (tests count its socket writes). */
export function workerClient(queueQualifiedName: string): { stream?: Socket } | undefined {
  return clients.get(queueQualifiedName);
}

/**
 * Reports a job's last progress without waiting for Redis, in the same socket write as the job's completion.
 * The worker connection's socket is corked until the current turn of the event loop is over (setImmediate): BullMQ
 * issues the completion script on that connection as soon as the job's promise settles, a few microtasks later, so
 * both commands leave in one write and reach Redis in one read, instead of two system calls that each wake Redis.
 * Commands on one connection keep their order, so the report still lands before the completion. A job whose worker
 * is not registered (or not connected) reports the plain way.
 */
export function reportFinalProgress(job: Job, progress: object): void {
  const stream = clients.get(job.queueQualifiedName)?.stream;
  if (stream && stream.writable) {
    stream.cork();
    setImmediate(() => stream.uncork());
  }
  void job.updateProgress(progress).catch(() => undefined);
}
