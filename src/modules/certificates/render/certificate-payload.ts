import { awardLabel, LEVEL_NAMES } from '../../awards/domain/award-labels';
import { chinaDate, formatTotal } from './certificate-format';

/** What a certificate states, read from the award, the worker, the competition and the organizations. */
export interface CertificateFacts {
  certificateId: string;
  serial: string;
  verifyUrl: string;
  award: { id: string; type: string; level: string; rank: number | null; total: number; issuedAt: Date };
  recipient: { name: string; employer: string | null };
  competition: { id: string; title: string; level: string };
  issuer: { id: string; name: string };
}

/** The signed statement, shaped after Open Badges 3.0 (an OpenBadgeCredential without its JSON-LD proof). */
export interface CertificatePayload {
  '@context': string[];
  type: string[];
  id: string;
  serial: string;
  issuedAt: string;
  issuer: { id: string; type: string[]; name: string };
  recipient: { type: string[]; name: string; employer: string | null };
  achievement: { id: string; type: string[]; achievementType: string; award: string; name: string; level: string; levelName: string; competition: { id: string; title: string } };
  evidence: Array<{ type: string[]; rank: number | null; total: number; narrative: string }>;
  verification: { type: string; url: string; publicKeyId: string };
}

export const PAYLOAD_CONTEXT = ['https://www.w3.org/ns/credentials/v2', 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json'];

export function buildPayload(f: CertificateFacts, publicKeyId: string): CertificatePayload {
  const total = f.award.total / 100;
  const rank = f.award.rank;
  return {
    '@context': PAYLOAD_CONTEXT,
    type: ['VerifiableCredential', 'OpenBadgeCredential'],
    id: `urn:uuid:${f.certificateId}`,
    serial: f.serial,
    issuedAt: f.award.issuedAt.toISOString(),
    issuer: { id: `urn:uuid:${f.issuer.id}`, type: ['Profile'], name: f.issuer.name },
    recipient: { type: ['AchievementSubject'], name: f.recipient.name, employer: f.recipient.employer },
    achievement: {
      id: `urn:uuid:${f.award.id}`,
      type: ['Achievement'],
      achievementType: 'Award',
      award: f.award.type,
      name: awardLabel(f.award.type, f.award.level),
      level: f.award.level,
      levelName: LEVEL_NAMES[f.award.level] ?? f.award.level,
      competition: { id: `urn:uuid:${f.competition.id}`, title: f.competition.title },
    },
    evidence: [{ type: ['Evidence'], rank, total, narrative: `${rank === null ? '' : `第${rank}名，`}总成绩${formatTotal(f.award.total)}分` }],
    verification: { type: 'Ed25519Signature2020', url: f.verifyUrl, publicKeyId },
  };
}

/** What the handlebars templates see: strings only, ready to print. */
export interface CertificateView {
  recipient: { name: string; employer: string };
  award: { type: string; name: string; level: string };
  competition: { title: string };
  rank: string;
  total: string;
  issuer: { name: string };
  issuedDate: string;
  serial: string;
  verifyUrl: string;
}

export function certificateView(f: CertificateFacts): CertificateView {
  return {
    recipient: { name: f.recipient.name, employer: f.recipient.employer ?? '' },
    award: { type: f.award.type, name: awardLabel(f.award.type, f.award.level), level: LEVEL_NAMES[f.award.level] ?? f.award.level },
    competition: { title: f.competition.title },
    rank: f.award.rank === null ? '' : String(f.award.rank),
    total: formatTotal(f.award.total),
    issuer: { name: f.issuer.name },
    issuedDate: chinaDate(f.award.issuedAt).text,
    serial: f.serial,
    verifyUrl: f.verifyUrl,
  };
}
