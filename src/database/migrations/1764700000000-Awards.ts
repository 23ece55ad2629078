import { MigrationInterface, QueryRunner, Table, TableColumnOptions } from 'typeorm';
import { columnTypes } from '../columns';

/** Awards: one row per worker, competition and award type (issue 5). */
export class Awards1764700000000 implements MigrationInterface {
  name = 'Awards1764700000000';

  async up(q: QueryRunner): Promise<void> {
    const t = columnTypes(q.connection.options.type === 'postgres' ? 'postgres' : 'sqlite');
    const ref = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'varchar', length: '36', isNullable: nullable });
    const str = (name: string, length: number, nullable = false): TableColumnOptions => ({ name, type: 'varchar', length: String(length), isNullable: nullable });
    const time = (name: string, nullable = false): TableColumnOptions => ({ name, type: t.timestamp, isNullable: nullable });

    await q.createTable(
      new Table({
        name: 'awards',
        columns: [
          { ...ref('id'), isPrimary: true },
          ref('competition_id'),
          ref('enrolment_id'),
          ref('worker_id'),
          str('type', 40),
          str('level', 16),
          { name: 'rank', type: 'integer', isNullable: true },
          { name: 'total', type: 'integer' },
          str('status', 16),
          time('issued_at', true),
          ref('decided_by', true),
          time('decided_at', true),
          str('decision_reason', 500, true),
          ref('revoked_by', true),
          time('revoked_at', true),
          str('revoke_reason', 500, true),
          { name: 'created_at', type: t.timestamp, default: t.now },
          { name: 'updated_at', type: t.timestamp, default: t.now },
        ],
        indices: [{ columnNames: ['competition_id', 'worker_id', 'type'], isUnique: true }, { columnNames: ['worker_id'] }, { columnNames: ['enrolment_id'] }],
        foreignKeys: [
          { columnNames: ['competition_id'], referencedTableName: 'competitions', referencedColumnNames: ['id'] },
          { columnNames: ['enrolment_id'], referencedTableName: 'enrolments', referencedColumnNames: ['id'] },
          { columnNames: ['worker_id'], referencedTableName: 'workers', referencedColumnNames: ['id'] },
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('awards');
  }
}
