import { Injectable } from '@nestjs/common';
import { Job, UnrecoverableError } from 'bullmq';
import { JobHandler } from '../../queue/job-handler';
import { ENROLMENT_IMPORT_JOBS, ENROLMENT_IMPORT_QUEUE, EnrolmentImportPayload } from './enrolment-import.queue';
import { EnrolmentImportService, ImportResult } from './enrolment-import.service';

/** Runs a bulk enrolment import; the work (idempotent, resumable) is EnrolmentImportService.run. */
@Injectable()
export class EnrolmentImportHandler implements JobHandler<EnrolmentImportPayload, ImportResult> {
  readonly queue = ENROLMENT_IMPORT_QUEUE;
  readonly jobName = ENROLMENT_IMPORT_JOBS.import;

  constructor(private readonly imports: EnrolmentImportService) {}

  async handle(job: Job<EnrolmentImportPayload>): Promise<ImportResult> {
    try {
      return await this.imports.run(job.id!, job.data, (percent) => job.updateProgress(percent));
    } catch (e) {
      // A job that will not run again leaves no ID numbers behind in the file store.
      if (e instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) await this.imports.discard(job.data);
      throw e;
    }
  }
}
