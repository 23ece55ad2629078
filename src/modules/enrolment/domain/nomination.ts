/**
 * The nominating organization of an entry: the child of the eligible root (by default the
 * competition's owner) whose subtree holds the worker's employer; the root itself when the worker is
 * employed directly by it. Quotas count per nominating organization. Paths are materialized
 * ("/<root>/…/<id>/"); undefined when the employer is outside the root's subtree.
 */
export function nominatingOrgId(rootPath: string, rootId: string, employerPath: string): string | undefined {
  if (!employerPath.startsWith(rootPath)) return undefined;
  const rest = employerPath.slice(rootPath.length).split('/').filter(Boolean);
  return rest[0] ?? rootId;
}
