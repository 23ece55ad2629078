import { MigrationInterface, QueryRunner, Table, TableColumnOptions } from 'typeorm';
import { columnTypes } from '../columns';

/** Certificates: one per award, and the serial counters (issue 5). */
export class Certificates1764800000000 implements MigrationInterface {
  name = 'Certificates1764800000000';

  async up(q: QueryRunner): Promise<void> {
    const t = columnTypes(q.connection.options.type === 'postgres' ? 'postgres' : 'sqlite');
    const ref = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'varchar', length: '36', isNullable: nullable });
    const str = (name: string, length: number, nullable = false): TableColumnOptions => ({ name, type: 'varchar', length: String(length), isNullable: nullable });
    const time = (name: string, nullable = false): TableColumnOptions => ({ name, type: t.timestamp, isNullable: nullable });

    await q.createTable(
      new Table({
        name: 'certificates',
        columns: [
          { ...ref('id'), isPrimary: true },
          ref('award_id'),
          ref('competition_id'),
          str('status', 16),
          str('serial', 32),
          str('verification_code', 32),
          str('template_version', 100, true),
          str('file_key', 255, true),
          str('sha256', 64, true),
          str('signature', 100, true),
          { name: 'payload', type: 'text', isNullable: true },
          str('key_id', 64, true),
          { name: 'attempts', type: 'integer', default: 0 },
          { name: 'retries', type: 'integer', default: 0 },
          { name: 'last_error', type: 'text', isNullable: true },
          time('rendered_at', true),
          time('revoked_at', true),
          str('revoke_reason', 500, true),
          { name: 'created_at', type: t.timestamp, default: t.now },
          { name: 'updated_at', type: t.timestamp, default: t.now },
        ],
        indices: [
          { columnNames: ['award_id'], isUnique: true },
          { columnNames: ['serial'], isUnique: true },
          { columnNames: ['verification_code'], isUnique: true },
          { columnNames: ['competition_id', 'status'] },
        ],
        foreignKeys: [{ columnNames: ['award_id'], referencedTableName: 'awards', referencedColumnNames: ['id'] }],
      }),
    );
    await q.createTable(
      new Table({
        name: 'certificate_serial_counters',
        columns: [
          { ...str('prefix', 8), isPrimary: true },
          { name: 'year', type: 'integer', isPrimary: true },
          { name: 'last', type: 'integer' },
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('certificate_serial_counters');
    await q.dropTable('certificates');
  }
}
