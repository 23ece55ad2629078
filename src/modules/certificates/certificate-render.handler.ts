import { Inject, Injectable } from '@nestjs/common';
import { Job } from 'bullmq';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { JobHandler } from '../queue/job-handler';
import { CertificateRenderService, RenderOutcome } from './certificate-render.service';
import { CERTIFICATE_JOBS, CERTIFICATES_QUEUE, CertificateJobPayload } from './certificates.queue';

/** Renders one certificate; retries with exponential backoff come from the queue's default job options. */
@Injectable()
export class CertificateRenderHandler implements JobHandler<CertificateJobPayload, RenderOutcome> {
  readonly queue = CERTIFICATES_QUEUE;
  readonly jobName = CERTIFICATE_JOBS.render;
  readonly concurrency: number;

  constructor(
    private readonly renderer: CertificateRenderService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.concurrency = config.certificates.concurrency;
  }

  handle(job: Job<CertificateJobPayload>): Promise<RenderOutcome> {
    const finalAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    return this.renderer.render(job.data.certificateId, (p) => job.updateProgress(p), finalAttempt);
  }
}
