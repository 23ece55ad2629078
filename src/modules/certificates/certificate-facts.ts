import { DataSource, EntityManager } from 'typeorm';
import { placeholdersFor } from '../../database/raw-values';
import { Award } from '../awards/award.entity';
import { Certificate, CertificateStatus } from './certificate.entity';
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

/** The facts' columns, each as FactsRow names it: listed once for the SELECTs and the SQLite claim's JSON object. */
const FACTS_FIELDS: ReadonlyArray<readonly [keyof FactsRow, string]> = [
  ['award_id', 'a.id'],
  ['type', 'a.type'],
  ['level', 'a.level'],
  ['rank', 'a.rank'],
  ['total', 'a.total'],
  ['issued_at', 'a.issued_at'],
  ['name', 'w.name'],
  ['employer', 'eo.name'],
  ['competition_id', 'k.id'],
  ['title', 'k.title'],
  ['competition_level', 'k.level'],
  ['issuer_id', 'k.organization_id'],
  ['issuer', 'io.name'],
];
const FACTS_COLUMNS = FACTS_FIELDS.map(([alias, expr]) => `${expr} AS ${alias}`).join(', ');
const FACTS_JSON = `json_object(${FACTS_FIELDS.map(([alias, expr]) => `'${alias}', ${expr}`).join(', ')})`;

const SQL = `SELECT ${FACTS_COLUMNS}
  FROM awards a
  JOIN workers w ON w.id = a.worker_id
  JOIN competitions k ON k.id = a.competition_id
  LEFT JOIN organizations eo ON eo.id = w.employer_org_id
  LEFT JOIN organizations io ON io.id = k.organization_id
 WHERE a.id = ?`;

/**
 * Everything a certificate states (award, worker, employer, competition, issuing organization), read with one
 * join of the needed columns; the award's values are converted as the entity's columns would be. Undefined when
 * the award, its worker or its competition is gone.
 */
export async function loadFacts(m: EntityManager, c: Certificate, publicBaseUrl: string): Promise<CertificateFacts | undefined> {
  const kind = m.connection.driver.options.type === 'postgres' ? 'postgres' : 'sqlite';
  const r = ((await m.query(placeholdersFor(kind, SQL), [c.awardId])) as FactsRow[])[0];
  return r ? factsOf(m.connection, r, c, publicBaseUrl) : undefined;
}

/** What a render job needs of its certificate, besides the facts. */
export type RenderCertificate = Pick<Certificate, 'id' | 'awardId' | 'status' | 'serial' | 'verificationCode' | 'createdAt'>;

/** A render job's row: the certificate's columns (c_…) and, where found, the facts' columns as FactsRow names them. */
export interface JobRow extends Partial<FactsRow> {
  c_id: string;
  c_award_id: string;
  c_status: CertificateStatus;
  c_serial: string;
  c_verification_code: string;
  c_created_at: unknown;
}

const certificateColumns = (t: string) => `${t}id AS c_id, ${t}award_id AS c_award_id, ${t}status AS c_status, ${t}serial AS c_serial,
       ${t}verification_code AS c_verification_code, ${t}created_at AS c_created_at`;
const FACTS_JOINS = `LEFT JOIN workers w ON w.id = a.worker_id
  LEFT JOIN competitions k ON k.id = a.competition_id
  LEFT JOIN organizations eo ON eo.id = w.employer_org_id
  LEFT JOIN organizations io ON io.id = k.organization_id`;

/** A render job's read (PostgreSQL), one statement with `?` placeholders: the certificate and the facts loadFacts() reads. */
export const JOB_SQL = `SELECT ${certificateColumns('c.')}, ${FACTS_COLUMNS}
  FROM certificates c
  LEFT JOIN awards a ON a.id = c.award_id
  ${FACTS_JOINS}
 WHERE c.id = ?`;

/**
 * A render job's claim and read in one statement (SQLite): the certificate becomes `rendering` (attempts + 1) only
 * while its status is one of `claimableList` (quoted, comma-separated), and the changed row comes back with the facts as one JSON object (SQLite's
 * RETURNING may not name other tables, a subquery may). Parameters: updated_at, id. No row: not claimable, or gone.
 */
export const claimWithFactsSqlite = (claimableList: string) => `UPDATE certificates SET status = 'rendering', attempts = attempts + 1, updated_at = ?
 WHERE id = ? AND status IN (${claimableList})
 RETURNING ${certificateColumns('')},
       (SELECT ${FACTS_JSON}
          FROM awards a
          ${FACTS_JOINS}
         WHERE a.id = certificates.award_id) AS facts`;

/**
 * The certificate and its facts (undefined when the award, its worker or its competition is gone) of a job row,
 * values converted as the entities' columns would be.
 */
export function jobOf(ds: DataSource, r: JobRow, publicBaseUrl: string): { c: RenderCertificate; facts?: CertificateFacts } {
  const createdAt = ds.driver.prepareHydratedValue(r.c_created_at, ds.getMetadata(Certificate).findColumnWithPropertyName('createdAt')!) as Date;
  const c: RenderCertificate = { id: r.c_id, awardId: r.c_award_id, status: r.c_status, serial: r.c_serial, verificationCode: r.c_verification_code, createdAt };
  const complete = r.award_id != null && r.name != null && r.competition_id != null;
  return { c, facts: complete ? factsOf(ds, r as FactsRow, c, publicBaseUrl) : undefined };
}

function factsOf(ds: DataSource, r: FactsRow, c: Pick<Certificate, 'id' | 'serial' | 'verificationCode' | 'createdAt'>, publicBaseUrl: string): CertificateFacts {
  const driver = ds.driver;
  const meta = ds.getMetadata(Award);
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
