import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { Job } from 'bullmq';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { reportFinalProgress } from '../queue/final-progress';
import { JobHandler } from '../queue/job-handler';
import { CertificateRenderService, RenderOutcome } from './certificate-render.service';
import { CERTIFICATE_JOBS, CERTIFICATES_QUEUE, CertificateJobPayload } from './certificates.queue';

/** Renders one certificate; retries with exponential backoff come from the queue's default job options. */
@Injectable()
export class CertificateRenderHandler implements JobHandler<CertificateJobPayload, RenderOutcome>, OnApplicationBootstrap {
  readonly queue = CERTIFICATES_QUEUE;
  readonly jobName = CERTIFICATE_JOBS.render;
  readonly concurrency: number;

  constructor(
    private readonly renderer: CertificateRenderService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.concurrency = config.certificates.concurrency;
  }

  /** Only worker processes have this handler: they parse the primary font at boot, not during the first job. */
  onApplicationBootstrap(): void {
    void this.renderer.fonts.primary;
  }

  handle(job: Job<CertificateJobPayload>): Promise<RenderOutcome> {
    const finalAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    // Progress (ready, with the serial) is sent without waiting, in one socket write with the job's completion.
    return this.renderer.render(job.data.certificateId, finalAttempt, (p) => reportFinalProgress(job, { ...p }));
  }
}
