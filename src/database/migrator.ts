import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { Db } from './db.service';

const MIGRATION_LOCK = 73052026; // any constant shared by every process of this application

/**
 * Applies pending migrations at start. On PostgreSQL an advisory lock makes concurrently starting
 * processes take turns; on SQLite the serial lock and the file's write lock do.
 */
@Injectable()
export class Migrator implements OnModuleInit {
  private readonly logger = new Logger(Migrator.name);

  constructor(private readonly db: Db) {}

  async onModuleInit(): Promise<void> {
    const ds = this.db.dataSource;
    if (this.db.kind === 'postgres') {
      const runner = ds.createQueryRunner();
      await runner.connect();
      try {
        await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
        const ran = await ds.runMigrations({ transaction: 'each' });
        if (ran.length) this.logger.log({ migrations: ran.map((m) => m.name) }, 'migrations applied');
      } finally {
        await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
        await runner.release();
      }
      return;
    }
    const ran = await this.db.run(() => ds.runMigrations({ transaction: 'each' }));
    if (ran.length) this.logger.log({ migrations: ran.map((m) => m.name) }, 'migrations applied');
  }
}
