import { Module } from '@nestjs/common';
import { CompetitionsModule } from '../competitions/competitions.module';
import { ScoringModule } from '../scoring/scoring.module';
import { JudgeReportService } from './judge-report.service';
import { RankingController } from './ranking.controller';
import { RankingService } from './ranking.service';

@Module({
  imports: [CompetitionsModule, ScoringModule],
  controllers: [RankingController],
  providers: [RankingService, JudgeReportService],
  exports: [RankingService],
})
export class RankingModule {}
