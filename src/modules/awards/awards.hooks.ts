import type { EntityManager } from 'typeorm';
import type { Award } from './award.entity';

/**
 * How modules to the right (certificates) react to awards without awards calling them: listeners run
 * inside the transaction that issues or revokes, so a certificate row and its outbox event commit
 * with the award or not at all.
 */
export interface AwardListener {
  /** Awards that just became `issued` (finalize with medalPolicy direct, or an approved nomination). */
  issued?(m: EntityManager, awards: Award[]): Promise<void>;
  /** An award that was just revoked. */
  revoked?(m: EntityManager, award: Award, reason: string): Promise<void>;
}

/** What the awards list and a worker's honours show of an award's certificate. */
export interface CertificateInfo {
  id: string;
  status: string;
  serial: string | null;
  verifyUrl: string | null;
}

export type CertificateInfoProvider = (m: EntityManager, awardIds: string[]) => Promise<Map<string, CertificateInfo>>;
