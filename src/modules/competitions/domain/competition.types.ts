/** The vocabulary of a competition (GLOSSARY.md): plain types shared by the pure rules and the services. */
export const COMPETITION_KINDS = ['skills', 'labour', 'safety', 'innovation'] as const;
export type CompetitionKind = (typeof COMPETITION_KINDS)[number];

export const CONTESTANT_TYPES = ['individual', 'team'] as const;
export type ContestantType = (typeof CONTESTANT_TYPES)[number];

export const COMPETITION_STATUSES = ['draft', 'enrolment_open', 'enrolment_closed', 'in_progress', 'scores_locked', 'published', 'finalized', 'cancelled'] as const;
export type CompetitionStatus = (typeof COMPETITION_STATUSES)[number];

export const AWARD_TYPES = ['may_day_medal', 'may_day_banner', 'worker_pioneer', 'technical_expert', 'gold_craftsman', 'prize_1', 'prize_2', 'prize_3', 'merit', 'skill_promotion'] as const;
export type AwardType = (typeof AWARD_TYPES)[number];

export const CRITERION_TYPES = ['measurement', 'judgement'] as const;
export const AGGREGATIONS = ['single', 'mean', 'trimmed_mean', 'median'] as const;
export type Aggregation = (typeof AGGREGATIONS)[number];

export const MEDAL_POLICIES = ['direct', 'nominate'] as const;
export type MedalPolicy = (typeof MEDAL_POLICIES)[number];

export interface Criterion {
  key: string;
  name: string;
  maxScore: number;
  type: (typeof CRITERION_TYPES)[number];
  judgesRequired: number;
  aggregation: Aggregation;
}

export interface Section {
  key: string;
  name: string;
  weight: number;
  criteria: Criterion[];
}

export interface ScoringScheme {
  sections: Section[];
}

export type TieBreaker = { by: 'section'; key: string; order: 'asc' | 'desc' } | { by: 'timeUsed'; order: 'asc' | 'desc' };

export interface AwardRule {
  fromRank: number;
  toRank: number;
  award: AwardType;
  minTotal?: number;
}

/** ISO-8601 strings, as in the API. */
export interface Schedule {
  enrolmentOpensAt?: string;
  enrolmentClosesAt?: string;
  startsAt?: string;
  endsAt?: string;
}

export interface EnrolmentRules {
  minAge?: number;
  maxAge?: number;
  /** 职业技能等级: 1 is the highest (高级技师), 5 the entry level; a worker qualifies at this level or above. */
  minSkillLevel?: number;
  quotaPerOrganization?: number;
  /** Root of the subtree whose workers may enter; default: the owning organization. */
  eligibleOrganizationId?: string;
}

export const ENROLMENT_STATUSES = ['pending', 'approved', 'rejected', 'withdrawn', 'absent', 'disqualified'] as const;
export type EnrolmentStatus = (typeof ENROLMENT_STATUSES)[number];
