import { Module } from '@nestjs/common';
import { CompetitionsModule } from '../competitions/competitions.module';
import { IdentityModule } from '../identity/identity.module';
import { OrganizationsModule } from '../organizations/organizations.module';
import { EnrolmentController } from './enrolment.controller';
import { EnrolmentService } from './enrolment.service';
import { EnrolmentImportController } from './import/enrolment-import.controller';
import { EnrolmentImportService } from './import/enrolment-import.service';

@Module({
  imports: [OrganizationsModule, IdentityModule, CompetitionsModule],
  controllers: [EnrolmentController, EnrolmentImportController],
  providers: [EnrolmentService, EnrolmentImportService],
  // EnrolmentImportService is exported for its job handler, which the application module registers.
  exports: [EnrolmentService, EnrolmentImportService],
})
export class EnrolmentModule {}
