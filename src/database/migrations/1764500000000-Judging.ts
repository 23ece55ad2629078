import { MigrationInterface, QueryRunner, Table, TableColumnOptions } from 'typeorm';
import { columnTypes } from '../columns';

/** Judging: panels, conflicts, marks and their revisions, receipts, penalties, entry standings (issue 4). */
export class Judging1764500000000 implements MigrationInterface {
  name = 'Judging1764500000000';

  async up(q: QueryRunner): Promise<void> {
    const t = columnTypes(q.connection.options.type === 'postgres' ? 'postgres' : 'sqlite');
    const ref = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'varchar', length: '36', isNullable: nullable });
    const pk = (name = 'id'): TableColumnOptions => ({ ...ref(name), isPrimary: true });
    const str = (name: string, length: number, nullable = false): TableColumnOptions => ({ name, type: 'varchar', length: String(length), isNullable: nullable });
    const int = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'integer', isNullable: nullable });
    const created: TableColumnOptions = { name: 'created_at', type: t.timestamp, default: t.now };
    const updated: TableColumnOptions = { name: 'updated_at', type: t.timestamp, default: t.now };

    await q.createTable(
      new Table({
        name: 'judge_assignments',
        columns: [pk(), ref('competition_id'), ref('user_id'), { name: 'criteria', type: t.json, isNullable: true }, { name: 'chief', type: 'boolean', default: t.false }, created],
        indices: [{ columnNames: ['competition_id', 'user_id'], isUnique: true }, { columnNames: ['user_id'] }],
        foreignKeys: [
          { columnNames: ['competition_id'], referencedTableName: 'competitions', referencedColumnNames: ['id'] },
          { columnNames: ['user_id'], referencedTableName: 'users', referencedColumnNames: ['id'] },
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'judge_conflicts',
        columns: [pk(), ref('competition_id'), ref('judge_user_id'), ref('worker_id'), str('reason', 500, true), ref('created_by', true), created],
        indices: [{ columnNames: ['competition_id', 'judge_user_id', 'worker_id'], isUnique: true }],
      }),
    );
    await q.createTable(
      new Table({
        name: 'scores',
        columns: [pk(), ref('competition_id'), ref('enrolment_id'), str('criterion_key', 50), ref('judge_user_id'), int('value'), str('client_id', 64), created, updated],
        indices: [{ columnNames: ['enrolment_id', 'criterion_key', 'judge_user_id'], isUnique: true }, { columnNames: ['competition_id', 'judge_user_id'] }],
      }),
    );
    await q.createTable(
      new Table({
        name: 'score_revisions',
        columns: [
          pk(),
          ref('score_id'),
          ref('competition_id'),
          ref('enrolment_id'),
          str('criterion_key', 50),
          int('old_value', true),
          int('new_value'),
          str('reason', 500, true),
          ref('by_user_id'),
          str('client_id', 64),
          { name: 'at', type: t.timestamp },
        ],
        indices: [{ columnNames: ['score_id'] }, { columnNames: ['competition_id', 'enrolment_id'] }],
      }),
    );
    await q.createTable(
      new Table({
        name: 'mark_receipts',
        columns: [{ ...ref('judge_user_id'), isPrimary: true }, { ...str('client_id', 64), isPrimary: true }, ref('enrolment_id'), str('criterion_key', 50), int('value'), created],
      }),
    );
    await q.createTable(
      new Table({
        name: 'penalties',
        columns: [pk(), ref('competition_id'), ref('enrolment_id'), int('points'), str('reason', 500), ref('by_user_id'), created],
        indices: [{ columnNames: ['competition_id', 'enrolment_id'] }],
      }),
    );
    await q.createTable(
      new Table({
        name: 'entry_scores',
        columns: [
          pk('enrolment_id'),
          ref('competition_id'),
          int('total', true),
          { name: 'sections', type: t.json },
          { name: 'criteria', type: t.json },
          { name: 'penalties', type: 'integer', default: 0 },
          { name: 'complete', type: 'boolean', default: t.false },
          updated,
        ],
        indices: [{ columnNames: ['competition_id'] }],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['entry_scores', 'penalties', 'mark_receipts', 'score_revisions', 'scores', 'judge_conflicts', 'judge_assignments']) await q.dropTable(table);
  }
}
