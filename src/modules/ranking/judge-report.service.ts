import { Injectable } from '@nestjs/common';
import { In } from 'typeorm';
import { AuthUser } from '../../common/auth/auth-user';
import { Db } from '../../database/db.service';
import { CompetitionsService } from '../competitions/competitions.service';
import { Enrolment } from '../enrolment/enrolment.entity';
import { User } from '../identity/user.entity';
import { fromHundredths } from '../scoring/domain/arithmetic';
import { PanelService } from '../scoring/panel.service';
import { Score } from '../scoring/score.entity';
import { JudgeMark, judgeBias } from './domain/judge-bias';

/** Entries per read (bound parameters stay well under every driver's limit). */
const CHUNK = 500;

export interface JudgeReportRow {
  judgeId: string;
  displayName: string | null;
  criterion: string;
  /** marks on an (entry, criterion) that at least one other judge marked too */
  count: number;
  /** mean of (mark − the panel's mean for that entry and criterion), in points */
  meanDeviation: number;
  /** beyond 2 standard deviations of the panel's judges for this criterion */
  flagged: boolean;
}

/**
 * The judge-bias report for the chief judge (裁判长) and the organizers: per judge and criterion, how
 * far the judge's marks sit from the panel's, by the exact rule of `judgeBias`, over the marks that
 * count towards scores.
 */
@Injectable()
export class JudgeReportService {
  constructor(
    private readonly db: Db,
    private readonly competitions: CompetitionsService,
    private readonly panels: PanelService,
  ) {}

  async report(user: AuthUser, competitionId: string): Promise<{ competitionId: string; items: JudgeReportRow[]; computedAt: string }> {
    await this.competitions.getWithRole(user, competitionId, ['organizer', 'chief_judge']);
    const computedAt = new Date().toISOString();
    const panel = await this.db.run((m) => this.panels.panel(m, competitionId));
    const entryIds = (await this.db.run((m) => m.find(Enrolment, { where: { competitionId }, select: { id: true } }))).map((e) => e.id);
    // A big competition has hundreds of thousands of marks: read them a chunk of entries at a time, each
    // in its own short access, so that marks being submitted meanwhile never wait for the whole report.
    const marks: JudgeMark[] = [];
    for (let i = 0; i < entryIds.length; i += CHUNK) {
      const chunk = entryIds.slice(i, i + CHUNK);
      const { facts, rows } = await this.db.run(async (m) => ({
        facts: await this.panels.entryFacts(m, chunk),
        rows: await m
          .createQueryBuilder(Score, 's')
          .select(['s.enrolment_id AS enrolment_id', 's.criterion_key AS criterion', 's.judge_user_id AS judge_id', 's.value AS value'])
          .where('s.enrolment_id IN (:...ids)', { ids: chunk })
          .getRawMany<{ enrolment_id: string; criterion: string; judge_id: string; value: number | string }>(),
      }));
      for (const r of rows) {
        const f = facts.get(r.enrolment_id);
        // Only marks that count towards scores: a judge no longer on the panel, or recused, is no panel member there.
        if (f && this.panels.mayMark(panel, r.judge_id, r.criterion, f) === 'ok') {
          marks.push({ judgeId: r.judge_id, enrolmentId: r.enrolment_id, criterion: r.criterion, value: Number(r.value) });
        }
      }
    }
    const judgeIds = [...new Set(marks.map((s) => s.judgeId))];
    const users = judgeIds.length ? await this.db.run((m) => m.find(User, { where: { id: In(judgeIds) }, select: { id: true, displayName: true } })) : [];
    const names = new Map(users.map((u) => [u.id, u.displayName]));
    const items = judgeBias(marks).map((r) => ({
      judgeId: r.judgeId,
      displayName: names.get(r.judgeId) ?? null,
      criterion: r.criterion,
      count: r.count,
      meanDeviation: fromHundredths(r.meanDeviation),
      flagged: r.flagged,
    }));
    return { competitionId, items, computedAt };
  }
}
