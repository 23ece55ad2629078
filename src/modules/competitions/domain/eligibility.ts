import { ageOn } from '../../identity/domain/id-number';
import { EnrolmentRules, Schedule } from './competition.types';

export interface EligibilityInput {
  competition: {
    status: string;
    trade: string | null;
    schedule: Schedule;
    enrolmentRules: EnrolmentRules;
    /** Materialized path of the root of the eligible subtree. */
    eligiblePath: string;
  };
  worker: {
    birthDate: string;
    skillLevel: number | null;
    trade: string | null;
    /** Materialized path of the worker's employer. */
    employerPath: string;
  };
  /** Self-service enrolment is bounded by the schedule's window; an organizer's only by the state. */
  selfService: boolean;
  now: Date;
}

export interface Ineligibility {
  rule: 'window' | 'age' | 'skill_level' | 'trade' | 'organization';
  message: string;
}

const CHINA_UTC_OFFSET_MS = 8 * 60 * 60 * 1000; // China Standard Time, no daylight saving since 1991

/**
 * The calendar day of `instant` in China, as a Date whose local fields show that day (ageOn reads local fields).
 * A start at 07:30 on 1 May in Shanghai is still 30 April in UTC; the start date must not depend on the server's TZ.
 */
function chinaCalendarDay(instant: Date): Date {
  const shifted = new Date(instant.getTime() + CHINA_UTC_OFFSET_MS);
  return new Date(shifted.getUTCFullYear(), shifted.getUTCMonth(), shifted.getUTCDate(), 12);
}

/** Every unmet rule at once (an empty list means eligible). */
export function checkEligibility({ competition: c, worker: w, selfService, now }: EligibilityInput): Ineligibility[] {
  const out: Ineligibility[] = [];
  if (c.status !== 'enrolment_open') {
    out.push({ rule: 'window', message: `enrolment is not open (the competition is ${c.status})` });
  } else if (selfService) {
    const opens = c.schedule.enrolmentOpensAt ? Date.parse(c.schedule.enrolmentOpensAt) : undefined;
    const closes = c.schedule.enrolmentClosesAt ? Date.parse(c.schedule.enrolmentClosesAt) : undefined;
    if (opens !== undefined && now.getTime() < opens) out.push({ rule: 'window', message: `enrolment opens at ${c.schedule.enrolmentOpensAt}` });
    if (closes !== undefined && now.getTime() > closes) out.push({ rule: 'window', message: `enrolment closed at ${c.schedule.enrolmentClosesAt}` });
  }
  const r = c.enrolmentRules;
  if (r.minAge !== undefined || r.maxAge !== undefined) {
    const age = ageOn(w.birthDate, chinaCalendarDay(c.schedule.startsAt ? new Date(c.schedule.startsAt) : now));
    if (r.minAge !== undefined && age < r.minAge) out.push({ rule: 'age', message: `age ${age} on the competition's start date is below the minimum of ${r.minAge}` });
    if (r.maxAge !== undefined && age > r.maxAge) out.push({ rule: 'age', message: `age ${age} on the competition's start date is above the maximum of ${r.maxAge}` });
  }
  if (r.minSkillLevel !== undefined) {
    if (w.skillLevel === null) out.push({ rule: 'skill_level', message: `a skill level of ${r.minSkillLevel} or higher is required and none is recorded` });
    else if (w.skillLevel > r.minSkillLevel) out.push({ rule: 'skill_level', message: `skill level ${w.skillLevel} is below the required level ${r.minSkillLevel} (1 is the highest)` });
  }
  if (c.trade && (w.trade ?? '').trim() !== c.trade.trim()) {
    out.push({ rule: 'trade', message: `the competition is for the trade ${c.trade}, the worker's trade is ${w.trade ?? 'not recorded'}` });
  }
  if (!w.employerPath.startsWith(c.eligiblePath)) {
    out.push({ rule: 'organization', message: "the worker's employer is not within the organizations this competition is open to" });
  }
  return out;
}
