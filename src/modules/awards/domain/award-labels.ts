import type { AwardType } from '../../competitions/domain/competition.types';

/** 全国 / 省 / 市 / 县 / 乡镇 / 企业 / 班组: the prefix an honour of that level carries (市五一劳动奖章). */
export const LEVEL_NAMES: Record<string, string> = {
  national: '全国',
  province: '省',
  city: '市',
  county: '县',
  township: '乡镇',
  enterprise: '企业',
  team: '班组',
};

/** GLOSSARY.md. */
export const AWARD_NAMES: Record<AwardType, string> = {
  may_day_medal: '五一劳动奖章',
  may_day_banner: '五一劳动奖状',
  worker_pioneer: '工人先锋号',
  technical_expert: '技术能手',
  gold_craftsman: '金牌工匠',
  prize_1: '一等奖',
  prize_2: '二等奖',
  prize_3: '三等奖',
  merit: '优秀奖',
  skill_promotion: '晋升职业技能等级',
};

/** Honorary titles are conferred by a union of a level and named after it (全国五一劳动奖章, 市技术能手); prizes are not. */
const LEVELLED: ReadonlySet<string> = new Set<AwardType>(['may_day_medal', 'may_day_banner', 'worker_pioneer', 'technical_expert', 'gold_craftsman']);

/** The Chinese name of an award as printed in exports and on certificates: 市五一劳动奖章, 一等奖. */
export function awardLabel(type: string, level: string): string {
  const name = AWARD_NAMES[type as AwardType] ?? type;
  return LEVELLED.has(type) ? `${LEVEL_NAMES[level] ?? ''}${name}` : name;
}

/** What an export shows for an award in a given state: nominations are marked, declined and revoked ones left out. */
export function exportLabel(type: string, level: string, status: string): string | null {
  if (status === 'issued') return awardLabel(type, level);
  if (status === 'nominated') return `${awardLabel(type, level)}（提名）`;
  return null;
}
