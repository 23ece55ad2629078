import { Module } from '@nestjs/common';
import { CompetitionsModule } from '../competitions/competitions.module';
import { JudgingController } from './judging.controller';
import { JudgingService } from './judging.service';
import { PanelService } from './panel.service';

@Module({
  imports: [CompetitionsModule],
  controllers: [JudgingController],
  providers: [JudgingService, PanelService],
  exports: [JudgingService, PanelService],
})
export class ScoringModule {}
