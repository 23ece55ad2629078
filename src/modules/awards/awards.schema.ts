/** The awards module's entities and migrations, listed in src/database/entities.ts. */
export const AWARDS_ENTITIES: Function[] = [];
export const AWARDS_MIGRATIONS: Function[] = [];
