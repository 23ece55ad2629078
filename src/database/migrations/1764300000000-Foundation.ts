import { MigrationInterface, QueryRunner, Table, TableColumnOptions } from 'typeorm';
import { columnTypes } from '../columns';

/** Written with TypeORM's Table API so that the same migration runs on SQLite and PostgreSQL. */
export class Foundation1764300000000 implements MigrationInterface {
  name = 'Foundation1764300000000';

  async up(q: QueryRunner): Promise<void> {
    const t = columnTypes(q.connection.options.type === 'postgres' ? 'postgres' : 'sqlite');
    const id = (name = 'id'): TableColumnOptions => ({ name, type: 'varchar', length: '36', isPrimary: true });
    const ref = (name: string, nullable = true): TableColumnOptions => ({ name, type: 'varchar', length: '36', isNullable: nullable });
    const str = (name: string, length: number, nullable = false): TableColumnOptions => ({ name, type: 'varchar', length: String(length), isNullable: nullable });
    const ts = (name: string, nullable = true): TableColumnOptions => ({ name, type: t.timestamp, isNullable: nullable });
    const created = (name = 'created_at'): TableColumnOptions => ({ name, type: t.timestamp, default: t.now });

    await q.createTable(
      new Table({
        name: 'organizations',
        columns: [id(), str('name', 200), str('level', 16), ref('parent_id'), str('path', 1000), created()],
        indices: [{ columnNames: ['parent_id'] }, { columnNames: ['path'] }],
        foreignKeys: [{ columnNames: ['parent_id'], referencedTableName: 'organizations', referencedColumnNames: ['id'] }],
      }),
    );
    await q.createTable(
      new Table({
        name: 'workers',
        columns: [
          id(),
          str('name', 50),
          str('id_number_enc', 200),
          str('id_number_hash', 64),
          str('id_number_masked', 18),
          str('gender', 1),
          str('birth_date', 10),
          str('phone', 20, true),
          ref('employer_org_id', false),
          str('trade', 50, true),
          { name: 'skill_level', type: 'integer', isNullable: true },
          created(),
        ],
        indices: [{ columnNames: ['id_number_hash'], isUnique: true }, { columnNames: ['employer_org_id'] }],
        foreignKeys: [{ columnNames: ['employer_org_id'], referencedTableName: 'organizations', referencedColumnNames: ['id'] }],
      }),
    );
    await q.createTable(
      new Table({
        name: 'users',
        columns: [
          id(),
          str('username', 64),
          str('password_hash', 255),
          str('display_name', 100),
          { name: 'roles', type: t.json },
          ref('organization_id'),
          ref('worker_id'),
          created(),
          { name: 'updated_at', type: t.timestamp, default: t.now },
        ],
        indices: [
          { columnNames: ['username'], isUnique: true },
          { columnNames: ['organization_id'] },
          { columnNames: ['worker_id'], isUnique: true },
        ],
        foreignKeys: [
          { columnNames: ['organization_id'], referencedTableName: 'organizations', referencedColumnNames: ['id'] },
          { columnNames: ['worker_id'], referencedTableName: 'workers', referencedColumnNames: ['id'] },
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'outbox_events',
        columns: [
          id(),
          str('type', 100),
          str('queue', 100),
          str('job_id', 200),
          { name: 'payload', type: t.json },
          { name: 'attempts', type: 'integer', default: 0 },
          { name: 'last_error', type: 'text', isNullable: true },
          ref('claim_token'),
          ts('claimed_until'),
          ts('sent_at'),
          created(),
        ],
        indices: [{ columnNames: ['job_id'], isUnique: true }, { columnNames: ['sent_at', 'created_at'] }],
      }),
    );
    await q.createTable(
      new Table({
        name: 'handled_events',
        columns: [id('event_id'), str('type', 100), { name: 'deliveries', type: 'integer', default: 1 }, created()],
      }),
    );
    await q.createTable(
      new Table({
        name: 'audit_entries',
        columns: [
          id(),
          ref('actor_id'),
          str('action', 100),
          str('entity_type', 50),
          str('entity_id', 36),
          { name: 'before', type: t.json, isNullable: true },
          { name: 'after', type: t.json, isNullable: true },
          created('at'),
        ],
        indices: [{ columnNames: ['entity_type', 'entity_id'] }],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['audit_entries', 'handled_events', 'outbox_events', 'users', 'workers', 'organizations']) {
      await q.dropTable(table);
    }
  }
}

