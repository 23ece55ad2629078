import { Module } from '@nestjs/common';
import { CompetitionsModule } from '../competitions/competitions.module';
import { OrganizationsModule } from '../organizations/organizations.module';
import { ResultsModule } from '../results/results.module';
import { AwardsController } from './awards.controller';
import { AwardsService } from './awards.service';

@Module({
  imports: [OrganizationsModule, CompetitionsModule, ResultsModule],
  controllers: [AwardsController],
  providers: [AwardsService],
  exports: [AwardsService],
})
export class AwardsModule {}
