import { Column, Entity, Index } from 'typeorm';
import { CreatedAtColumn, JsonColumn, UpdatedAtColumn, UuidColumn, UuidPrimaryColumn } from '../../database/columns';
import { Role } from './domain/roles';

@Entity('users')
export class User {
  @UuidPrimaryColumn() id: string;
  @Index({ unique: true }) @Column({ type: 'varchar', length: 64 }) username: string;
  @Column({ type: 'varchar', length: 255, select: false }) passwordHash: string;
  @Column({ type: 'varchar', length: 100 }) displayName: string;
  @JsonColumn() roles: Role[];
  @Index() @UuidColumn({ nullable: true }) organizationId: string | null;
  @Index({ unique: true }) @UuidColumn({ nullable: true }) workerId: string | null;
  @CreatedAtColumn() createdAt: Date;
  @UpdatedAtColumn() updatedAt: Date;
}
