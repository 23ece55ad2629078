import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { CreatedAtColumn, UuidColumn, UuidPrimaryColumn } from '../../database/columns';
import { Organization } from '../organizations/organization.entity';

/** A competing worker (参赛职工). The resident ID number is never stored in the clear. */
@Entity('workers')
export class Worker {
  @UuidPrimaryColumn() id: string;
  @Column({ type: 'varchar', length: 50 }) name: string;
  /** AES-256-GCM with DATA_KEY: base64 of iv | tag | ciphertext. */
  @Column({ type: 'varchar', length: 200, select: false }) idNumberEnc: string;
  /** HMAC-SHA256 with DATA_KEY, for lookup and uniqueness without decrypting. */
  @Index({ unique: true }) @Column({ type: 'varchar', length: 64 }) idNumberHash: string;
  /** Shown to everyone but the owner (3301**********1234); derived once at write time. */
  @Column({ type: 'varchar', length: 18 }) idNumberMasked: string;
  @Column({ type: 'varchar', length: 1 }) gender: 'M' | 'F';
  @Column({ type: 'varchar', length: 10 }) birthDate: string;
  @Column({ type: 'varchar', length: 20, nullable: true }) phone: string | null;
  @Index() @UuidColumn() employerOrgId: string;
  @ManyToOne(() => Organization)
  @JoinColumn({ name: 'employer_org_id' })
  employerOrg?: Organization;
  @Column({ type: 'varchar', length: 50, nullable: true }) trade: string | null;
  @Column({ type: 'integer', nullable: true }) skillLevel: number | null;
  @CreatedAtColumn() createdAt: Date;
}
