import { MigrationInterface, QueryRunner, Table, TableColumnOptions } from 'typeorm';
import { columnTypes } from '../columns';

/** Competitions and enrolments (issue 3). Table API: runs on SQLite and PostgreSQL. */
export class Competitions1764400000000 implements MigrationInterface {
  name = 'Competitions1764400000000';

  async up(q: QueryRunner): Promise<void> {
    const t = columnTypes(q.connection.options.type === 'postgres' ? 'postgres' : 'sqlite');
    const ref = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'varchar', length: '36', isNullable: nullable });
    const str = (name: string, length: number, nullable = false): TableColumnOptions => ({ name, type: 'varchar', length: String(length), isNullable: nullable });
    const ts = (name: string): TableColumnOptions => ({ name, type: t.timestamp, isNullable: true });
    const int = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'integer', isNullable: nullable });
    const stamps: TableColumnOptions[] = [
      { name: 'created_at', type: t.timestamp, default: t.now },
      { name: 'updated_at', type: t.timestamp, default: t.now },
    ];

    await q.createTable(
      new Table({
        name: 'competitions',
        columns: [
          { ...ref('id'), isPrimary: true },
          str('title', 200),
          str('kind', 16),
          str('level', 16),
          str('trade', 50, true),
          ref('organization_id'),
          str('contestant_type', 16),
          ts('enrolment_opens_at'),
          ts('enrolment_closes_at'),
          ts('starts_at'),
          ts('ends_at'),
          str('status', 20),
          { name: 'enrolment_rules', type: t.json },
          { name: 'scoring', type: t.json, isNullable: true },
          { name: 'tie_breakers', type: t.json },
          { name: 'award_rules', type: t.json },
          int('publicity_days'),
          str('medal_policy', 16),
          str('draw_seed', 100, true),
          ts('drawn_at'),
          ts('published_at'),
          ref('created_by', true),
          int('version'),
          ...stamps,
        ],
        indices: [{ columnNames: ['status', 'starts_at'] }, { columnNames: ['trade'] }, { columnNames: ['organization_id'] }],
        foreignKeys: [{ columnNames: ['organization_id'], referencedTableName: 'organizations', referencedColumnNames: ['id'] }],
      }),
    );
    await q.createTable(
      new Table({
        name: 'enrolments',
        columns: [
          { ...ref('id'), isPrimary: true },
          ref('competition_id'),
          ref('worker_id'),
          ref('nominating_org_id'),
          str('status', 16),
          int('bib', true),
          str('station', 20, true),
          int('time_used_seconds', true),
          str('reason', 500, true),
          str('source', 16),
          ref('created_by', true),
          ref('decided_by', true),
          ts('decided_at'),
          ...stamps,
        ],
        indices: [
          { columnNames: ['competition_id', 'worker_id'], isUnique: true },
          { columnNames: ['competition_id', 'bib'], isUnique: true },
          { columnNames: ['competition_id', 'nominating_org_id', 'status'] },
          { columnNames: ['worker_id'] },
        ],
        foreignKeys: [
          { columnNames: ['competition_id'], referencedTableName: 'competitions', referencedColumnNames: ['id'] },
          { columnNames: ['worker_id'], referencedTableName: 'workers', referencedColumnNames: ['id'] },
          { columnNames: ['nominating_org_id'], referencedTableName: 'organizations', referencedColumnNames: ['id'] },
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('enrolments');
    await q.dropTable('competitions');
  }
}
