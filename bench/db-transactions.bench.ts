import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DataSource } from 'typeorm';
import { loadConfig } from '../src/config/load-config';
import { dataSourceOptions } from '../src/database/data-source-options';
import { Db } from '../src/database/db.service';
import { Organization } from '../src/modules/organizations/organization.entity';

const TX = 3000;
const ROWS = 3;
const CONCURRENCY = 64;

/**
 * Multi-row transactions through the application's Db (TypeORM + the SQLite serial lock, issued by 64
 * concurrent callers) against the ceiling: the same inserts as synchronous better-sqlite3 transactions
 * on the same kind of file (WAL, synchronous=NORMAL).
 */
export async function dbTransactionsBench(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'contest-bench-'));
  try {
    const config = loadConfig({ ...process.env, DATABASE_URL: undefined, VAR_DIR: dir, SQLITE_PATH: path.join(dir, 'app.sqlite') });
    const ds = await new DataSource(dataSourceOptions(config)).initialize();
    await ds.runMigrations();
    const db = new Db(ds, config);

    const t0 = process.hrtime.bigint();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < TX) {
          next++;
          await db.transaction(async (m) => {
            for (let r = 0; r < ROWS; r++) {
              const id = randomUUID();
              await m.insert(Organization, { id, name: `bench-${r}`, level: 'team', parentId: null, path: `/${id}/` });
            }
          });
        }
      }),
    );
    const appSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    await ds.destroy();

    const raw = new Database(path.join(dir, 'raw.sqlite'));
    raw.pragma('journal_mode = WAL');
    raw.pragma('synchronous = NORMAL');
    raw.exec(`CREATE TABLE organizations (id varchar(36) PRIMARY KEY NOT NULL, name varchar(200) NOT NULL, level varchar(16) NOT NULL, parent_id varchar(36), path varchar(1000) NOT NULL, created_at datetime NOT NULL DEFAULT (datetime('now')))`);
    const insert = raw.prepare('INSERT INTO organizations (id, name, level, parent_id, path) VALUES (?, ?, ?, NULL, ?)');
    const tx = raw.transaction(() => {
      for (let r = 0; r < ROWS; r++) {
        const id = randomUUID();
        insert.run(id, `bench-${r}`, 'team', `/${id}/`);
      }
    });
    const t1 = process.hrtime.bigint();
    for (let i = 0; i < TX; i++) tx();
    const rawSeconds = Number(process.hrtime.bigint() - t1) / 1e9;
    raw.close();

    const appRate = TX / appSeconds;
    const rawRate = TX / rawSeconds;
    process.stdout.write(`transactions of ${ROWS} inserts, ${CONCURRENCY} concurrent callers, through Db: ${appRate.toFixed(0)}/s\n`);
    process.stdout.write(`ceiling, synchronous better-sqlite3: ${rawRate.toFixed(0)}/s\n`);
    process.stdout.write(`ratio app/ceiling: ${(appRate / rawRate).toFixed(3)}\n`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
