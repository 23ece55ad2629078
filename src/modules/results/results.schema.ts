/** The results module's entities and migrations, listed in src/database/entities.ts. */
export const RESULTS_ENTITIES: Function[] = [];
export const RESULTS_MIGRATIONS: Function[] = [];
