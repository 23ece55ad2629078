import { DynamicModule, Module, Provider } from '@nestjs/common';
import { AppConfig } from './config/app-config';
import { CoreModule, CoreOptions } from './core.module';
import { AuditModule } from './modules/audit/audit.module';
import { CompetitionsModule } from './modules/competitions/competitions.module';
import { EnrolmentModule } from './modules/enrolment/enrolment.module';
import { EnrolmentImportHandler } from './modules/enrolment/import/enrolment-import.handler';
import { FilesModule } from './modules/files/files.module';
import { HealthModule } from './modules/health/health.module';
import { ScoringModule } from './modules/scoring/scoring.module';
import { RankingModule } from './modules/ranking/ranking.module';
import { AdminBootstrap } from './modules/identity/admin-bootstrap';
import { IdentityModule } from './modules/identity/identity.module';
import { OrganizationsModule } from './modules/organizations/organizations.module';
import { DomainEventHandler } from './modules/queue/domain-event.handler';
import { JOB_HANDLERS, JobHandler } from './modules/queue/job-handler';
import { WorkerHost } from './modules/queue/worker-host';
import { JobsController } from './modules/system/jobs.controller';
import { QueueCheckHandler } from './modules/system/queue-check.handler';
import { ResultsModule } from './modules/results/results.module';
import { AwardsModule } from './modules/awards/awards.module';
import { CertificatesModule } from './modules/certificates/certificates.module';
import { CERTIFICATE_HANDLERS } from './modules/certificates/certificates.handlers';

export interface AppModuleOptions extends CoreOptions {
  /** Serve HTTP (controllers, first-start admin). */
  api: boolean;
  /** Run BullMQ workers in this process. */
  workers: boolean;
}

/** Every job handler of the system; the WorkerHost checks at boot that each job has exactly one. */
const HANDLERS = [DomainEventHandler, QueueCheckHandler, EnrolmentImportHandler, ...CERTIFICATE_HANDLERS];

@Module({})
class ApiModule {}

/**
 * One module for every process shape: the API (src/main.ts), the worker (src/worker.ts), both in one
 * process (`npm start`, src/start.ts) and the e2e tests.
 */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig, opts: AppModuleOptions): DynamicModule {
    const providers: Provider[] = [];
    if (opts.api) providers.push(AdminBootstrap);
    if (opts.workers) {
      providers.push(...HANDLERS, {
        provide: JOB_HANDLERS,
        useFactory: (...handlers: JobHandler[]) => handlers,
        inject: HANDLERS,
      }, WorkerHost);
    }
    return {
      module: AppModule,
      imports: [
        CoreModule.forRoot(config, { ...opts, dispatchOutbox: opts.dispatchOutbox ?? opts.api, checkpointThread: opts.checkpointThread ?? opts.api, sqliteMmap: opts.sqliteMmap ?? opts.api }),
        AuditModule,
        FilesModule,
        OrganizationsModule,
        IdentityModule,
        CompetitionsModule,
        EnrolmentModule,
        ScoringModule,
        RankingModule,
        ResultsModule,
        AwardsModule,
        CertificatesModule,
        ...(opts.api ? [HealthModule, { module: ApiModule, controllers: [JobsController] }] : []),
      ],
      providers,
    };
  }
}
