import { Body, Controller, HttpCode, Module, Post } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Like } from 'typeorm';
import { Public } from '../../src/common/auth/decorators';
import { DomainError } from '../../src/common/errors/domain-error';
import { Db } from '../../src/database/db.service';
import { Organization } from '../../src/modules/organizations/organization.entity';
import { bearer, createTestApp, TestApp } from '../utils/create-test-app';

const ROWS_PER_TX = 4;

/**
 * A test-only route doing what real features do: a multi-row transaction that awaits between its
 * writes (as a service does between queries), committing or rolling back on purpose.
 */
@Controller('probe')
class ProbeController {
  constructor(private readonly db: Db) {}

  @Public()
  @Post('tx')
  @HttpCode(200)
  async tx(@Body() body: { batch: string; fail: boolean }) {
    await this.db.transaction(async (m) => {
      for (let i = 0; i < ROWS_PER_TX; i++) {
        const id = randomUUID();
        await m.insert(Organization, { id, name: `${body.batch}-${i}`, level: 'team', parentId: null, path: `/${id}/` });
        await sleep(1 + (i % 3));
      }
      if (body.fail) throw DomainError.conflict('PROBE_ROLLBACK', 'rolled back on purpose');
    });
    return { ok: true };
  }
}

@Module({ controllers: [ProbeController] })
class ProbeModule {}

describe('database access under concurrency (the shared-SQLite-connection trap)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ extraModules: [ProbeModule], env: { LOG_LEVEL: 'silent' } });
  });
  afterAll(async () => t?.dispose());

  it('keeps every committed row and no rolled-back row when 50 transactions, 50 plain writes and 25 rollbacks interleave', async () => {
    const admin = await t.adminToken();
    const requests: Array<Promise<{ kind: string; status: number }>> = [];
    for (let i = 0; i < 50; i++) {
      requests.push(
        t.http().post('/probe/tx').send({ batch: `commit-${i}`, fail: false }).then((r) => ({ kind: 'commit', status: r.status })),
      );
      requests.push(
        t.http().post('/api/organizations').set(bearer(admin)).send({ name: `plain-${i}`, level: 'city' }).then((r) => ({ kind: 'plain', status: r.status })),
      );
      if (i % 2 === 0) {
        requests.push(
          t.http().post('/probe/tx').send({ batch: `rollback-${i}`, fail: true }).then((r) => ({ kind: 'rollback', status: r.status })),
        );
      }
    }
    const results = await Promise.all(requests);

    const statuses = (kind: string) => results.filter((r) => r.kind === kind).map((r) => r.status);
    expect(statuses('commit')).toEqual(Array(50).fill(200));
    expect(statuses('plain')).toEqual(Array(50).fill(201));
    expect(statuses('rollback')).toEqual(Array(25).fill(409));

    const count = (pattern: string) => t.db.run((m) => m.count(Organization, { where: { name: Like(pattern) } }));
    expect(await count('commit-%')).toBe(50 * ROWS_PER_TX);
    expect(await count('plain-%')).toBe(50);
    expect(await count('rollback-%')).toBe(0);
    // Each committed transaction is whole: every batch has all of its rows.
    const names = await t.db.run((m) => m.find(Organization, { where: { name: Like('commit-%') }, select: { name: true } }));
    const perBatch = new Map<string, number>();
    for (const { name } of names) perBatch.set(name.replace(/-\d+$/, ''), (perBatch.get(name.replace(/-\d+$/, '')) ?? 0) + 1);
    expect([...perBatch.values()].every((n) => n === ROWS_PER_TX)).toBe(true);
    expect(perBatch.size).toBe(50);
  });
});
