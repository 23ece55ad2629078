import { Awards1764700000000 } from '../../database/migrations/1764700000000-Awards';
import { Award } from './award.entity';

/** The awards module's entities and migrations, listed in src/database/entities.ts. */
export const AWARDS_ENTITIES: Function[] = [Award];
export const AWARDS_MIGRATIONS: Function[] = [Awards1764700000000];
