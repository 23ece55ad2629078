/**
 * 裁判回避: a judge may not mark a contestant from the same unit — the judge's organization is the
 * contestant's employer, or both lie under the same enterprise-level organization. A judge from a
 * union body above enterprise level (a city federation, say) has no enterprise and is recused only
 * from contestants it employs directly.
 */
export interface JudgeUnit {
  organizationId: string | null;
  /** The enterprise-level organization at or above the judge's organization, if any. */
  enterpriseId: string | null;
}

/** The enterprise at or above an organization, from its chain of ancestors (root first, itself last). */
export function enterpriseOf(chain: Array<{ id: string; level: string }>): string | null {
  for (let i = chain.length - 1; i >= 0; i--) if (chain[i].level === 'enterprise') return chain[i].id;
  return null;
}

/** Ids in a materialized path "/a/b/c/". */
export const pathIds = (path: string): string[] => path.split('/').filter(Boolean);

export function isRecused(judge: JudgeUnit, employer: { id: string; path: string }): boolean {
  if (judge.organizationId && judge.organizationId === employer.id) return true;
  return judge.enterpriseId !== null && pathIds(employer.path).includes(judge.enterpriseId);
}
