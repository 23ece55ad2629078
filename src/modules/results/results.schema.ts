import { Results1764600000000 } from '../../database/migrations/1764600000000-Results';
import { Appeal } from './appeal.entity';
import { Result } from './result.entity';

/** The results module's entities and migrations, listed in src/database/entities.ts. */
export const RESULTS_ENTITIES: Function[] = [Result, Appeal];
export const RESULTS_MIGRATIONS: Function[] = [Results1764600000000];
