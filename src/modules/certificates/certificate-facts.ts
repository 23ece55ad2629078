import { EntityManager } from 'typeorm';
import { Award } from '../awards/award.entity';
import { Certificate } from './certificate.entity';
import type { CertificateFacts } from './render/certificate-payload';

export const verifyUrlOf = (publicBaseUrl: string, code: string) => `${publicBaseUrl}/verify/${code}`;

interface FactsRow {
  award_id: string;
  type: string;
  level: string;
  rank: unknown;
  total: unknown;
  issued_at: unknown;
  name: string;
  employer: string | null;
  competition_id: string;
  title: string;
  competition_level: string;
  issuer_id: string;
  issuer: string | null;
}

const SQL = (param: string) => `SELECT a.id AS award_id, a.type AS type, a.level AS level, a.rank AS rank, a.total AS total, a.issued_at AS issued_at,
       w.name AS name, eo.name AS employer, k.id AS competition_id, k.title AS title, k.level AS competition_level,
       k.organization_id AS issuer_id, io.name AS issuer
  FROM awards a
  JOIN workers w ON w.id = a.worker_id
  JOIN competitions k ON k.id = a.competition_id
  LEFT JOIN organizations eo ON eo.id = w.employer_org_id
  LEFT JOIN organizations io ON io.id = k.organization_id
 WHERE a.id = ${param}`;
const SQL_BY_KIND = { postgres: SQL('$1'), sqlite: SQL('?') };

/**
 * Everything a certificate states (award, worker, employer, competition, issuing organization), read with one
 * join of the needed columns; the award's values are converted as the entity's columns would be. Undefined when
 * the award, its worker or its competition is gone.
 */
export async function loadFacts(m: EntityManager, c: Certificate, publicBaseUrl: string): Promise<CertificateFacts | undefined> {
  const driver = m.connection.driver;
  const sql = driver.options.type === 'postgres' ? SQL_BY_KIND.postgres : SQL_BY_KIND.sqlite;
  const rows = (await m.query(sql, [c.awardId])) as FactsRow[];
  const r = rows[0];
  if (!r) return undefined;
  const meta = m.connection.getMetadata(Award);
  const hydrate = (property: 'rank' | 'total' | 'issuedAt', raw: unknown) => driver.prepareHydratedValue(raw, meta.findColumnWithPropertyName(property)!) as unknown;
  const rank = hydrate('rank', r.rank) as number | null;
  const issuedAt = hydrate('issuedAt', r.issued_at) as Date | null;
  return {
    certificateId: c.id,
    serial: c.serial,
    verifyUrl: verifyUrlOf(publicBaseUrl, c.verificationCode),
    award: { id: r.award_id, type: r.type, level: r.level, rank: rank ?? null, total: hydrate('total', r.total) as number, issuedAt: issuedAt ?? c.createdAt },
    recipient: { name: r.name, employer: r.employer ?? null },
    competition: { id: r.competition_id, title: r.title, level: r.competition_level },
    issuer: { id: r.issuer_id, name: r.issuer ?? '' },
  };
}
