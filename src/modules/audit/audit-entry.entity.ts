import { Column, Entity, Index } from 'typeorm';
import { CreatedAtColumn, JsonColumn, UuidColumn, UuidPrimaryColumn } from '../../database/columns';

@Entity('audit_entries')
@Index(['entityType', 'entityId'])
export class AuditEntry {
  @UuidPrimaryColumn() id: string;
  @UuidColumn({ nullable: true }) actorId: string | null;
  @Column({ type: 'varchar', length: 100 }) action: string;
  @Column({ type: 'varchar', length: 50 }) entityType: string;
  @Column({ type: 'varchar', length: 36 }) entityId: string;
  @JsonColumn({ nullable: true }) before: unknown;
  @JsonColumn({ nullable: true }) after: unknown;
  @CreatedAtColumn() at: Date;
}
