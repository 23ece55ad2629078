/** 全国 / 省 / 市 / 县(区) / 乡镇(街道) / 企业 / 班组, from the top of the union tree down. */
export const ORG_LEVELS = ['national', 'province', 'city', 'county', 'township', 'enterprise', 'team'] as const;
export type OrgLevel = (typeof ORG_LEVELS)[number];

export const levelRank = (level: OrgLevel): number => ORG_LEVELS.indexOf(level);

/** A child sits strictly below its parent's level (a city may hold enterprises directly, skipping county). */
export function canBeChildOf(child: OrgLevel, parent: OrgLevel): boolean {
  return levelRank(child) > levelRank(parent);
}

export function childPath(parentPath: string | null, id: string): string {
  return `${parentPath ?? '/'}${id}/`;
}

/** Whether the organization with path `inner` lies in the subtree rooted at the one with path `outer`. */
export function isWithin(inner: string, outer: string): boolean {
  return inner.startsWith(outer);
}
