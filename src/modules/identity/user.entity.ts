import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { CreatedAtColumn, JsonColumn, UpdatedAtColumn, UuidColumn, UuidPrimaryColumn } from '../../database/columns';
import { Organization } from '../organizations/organization.entity';
import { Role } from './domain/roles';
import { Worker } from './worker.entity';

@Entity('users')
export class User {
  @UuidPrimaryColumn() id: string;
  @Index({ unique: true }) @Column({ type: 'varchar', length: 64 }) username: string;
  @Column({ type: 'varchar', length: 255, select: false }) passwordHash: string;
  @Column({ type: 'varchar', length: 100 }) displayName: string;
  @JsonColumn() roles: Role[];
  @Index() @UuidColumn({ nullable: true }) organizationId: string | null;
  @Index({ unique: true }) @UuidColumn({ nullable: true }) workerId: string | null;
  @ManyToOne(() => Organization, { nullable: true })
  @JoinColumn({ name: 'organization_id' })
  organization?: Organization;
  @ManyToOne(() => Worker, { nullable: true })
  @JoinColumn({ name: 'worker_id' })
  worker?: Worker;
  @CreatedAtColumn() createdAt: Date;
  @UpdatedAtColumn() updatedAt: Date;
}
