export const ROLES = ['admin', 'organizer', 'judge', 'worker'] as const;
export type Role = (typeof ROLES)[number];
