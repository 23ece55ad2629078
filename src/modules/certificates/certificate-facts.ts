import { EntityManager } from 'typeorm';
import { Award } from '../awards/award.entity';
import { Competition } from '../competitions/competition.entity';
import { Worker } from '../identity/worker.entity';
import { Organization } from '../organizations/organization.entity';
import { Certificate } from './certificate.entity';
import type { CertificateFacts } from './render/certificate-payload';

export const verifyUrlOf = (publicBaseUrl: string, code: string) => `${publicBaseUrl}/verify/${code}`;

/** Everything a certificate states, read in one go (award, worker, employer, competition, issuing organization). */
export async function loadFacts(m: EntityManager, c: Certificate, publicBaseUrl: string): Promise<CertificateFacts | undefined> {
  const award = await m.findOne(Award, { where: { id: c.awardId } });
  if (!award) return undefined;
  const worker = await m.findOne(Worker, { where: { id: award.workerId } });
  const competition = await m.findOne(Competition, { where: { id: award.competitionId } });
  if (!worker || !competition) return undefined;
  const orgIds = [...new Set([worker.employerOrgId, competition.organizationId])];
  const orgs = new Map((await m.find(Organization, { where: orgIds.map((id) => ({ id })) })).map((o) => [o.id, o.name]));
  return {
    certificateId: c.id,
    serial: c.serial,
    verifyUrl: verifyUrlOf(publicBaseUrl, c.verificationCode),
    award: { id: award.id, type: award.type, level: award.level, rank: award.rank, total: award.total, issuedAt: award.issuedAt ?? c.createdAt },
    recipient: { name: worker.name, employer: orgs.get(worker.employerOrgId) ?? null },
    competition: { id: competition.id, title: competition.title, level: competition.level },
    issuer: { id: competition.organizationId, name: orgs.get(competition.organizationId) ?? '' },
  };
}
