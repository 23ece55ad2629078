import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { CreatedAtColumn, UuidColumn, UuidPrimaryColumn } from '../../database/columns';
import { OrgLevel } from './domain/org-level';

@Entity('organizations')
export class Organization {
  @UuidPrimaryColumn() id: string;
  @Column({ type: 'varchar', length: 200 }) name: string;
  @Column({ type: 'varchar', length: 16 }) level: OrgLevel;
  @Index() @UuidColumn({ nullable: true }) parentId: string | null;
  @ManyToOne(() => Organization, { nullable: true, createForeignKeyConstraints: true })
  @JoinColumn({ name: 'parent_id' })
  parent?: Organization;
  /** Materialized path of ids from the root, "/<root>/…/<id>/": subtree checks are a prefix match. */
  @Index() @Column({ type: 'varchar', length: 1000 }) path: string;
  @CreatedAtColumn() createdAt: Date;
}
