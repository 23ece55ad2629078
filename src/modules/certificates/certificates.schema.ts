/** The certificates module's entities and migrations, listed in src/database/entities.ts. */
export const CERTIFICATES_ENTITIES: Function[] = [];
export const CERTIFICATES_MIGRATIONS: Function[] = [];
