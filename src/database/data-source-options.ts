import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataSourceOptions } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { ENTITIES, MIGRATIONS } from './entities';
import { SnakeNamingStrategy } from './snake-naming.strategy';

/** SQLite: WAL, synchronous=NORMAL, 5 s busy timeout, foreign keys on, 64 MiB cache, 256 MiB mmap. PostgreSQL: a pool. Schema only by migrations. */
export function dataSourceOptions(config: AppConfig): DataSourceOptions {
  const common = {
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsRun: false,
    synchronize: false,
    namingStrategy: new SnakeNamingStrategy(),
    logging: false,
  } as const;
  if (config.database.kind === 'postgres') {
    return {
      ...common,
      type: 'postgres',
      url: config.database.url,
      schema: config.database.schema,
      // Raw SQL (health checks, reports) must see the same schema as the entities.
      extra: { max: 10, connectionTimeoutMillis: 5000, ...(config.database.schema ? { options: `-c search_path=${config.database.schema}` } : {}) },
    };
  }
  fs.mkdirSync(path.dirname(config.database.sqlitePath), { recursive: true });
  return {
    ...common,
    type: 'better-sqlite3',
    database: config.database.sqlitePath,
    enableWAL: true,
    timeout: 5000,
    prepareDatabase: (db: { pragma(s: string): unknown }) => {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 5000');
      db.pragma('foreign_keys = ON');
      // Reads of a whole competition (600,000 marks, a recomputation) go through a file of hundreds of
      // MiB: the default 2 MiB page cache reads most pages again with a system call each. Memory-mapped
      // reads (safe with WAL across processes) and a larger cache, both per connection and filled only
      // as pages are read.
      db.pragma('cache_size = -65536');
      db.pragma('mmap_size = 268435456');
      db.pragma('temp_store = MEMORY');
    },
  };
}
