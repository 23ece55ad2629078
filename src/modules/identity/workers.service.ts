import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager, In } from 'typeorm';
import { AuthUser, hasRole } from '../../common/auth/auth-user';
import { PersonalDataCipher } from '../../common/crypto/personal-data';
import { DomainError } from '../../common/errors/domain-error';
import { isUniqueViolation } from '../../common/errors/unique-violation';
import { Db } from '../../database/db.service';
import { OrganizationsService } from '../organizations/organizations.service';
import { checkIdNumber } from './domain/id-number';
import { maskIdNumber, maskPhone } from './domain/masking';
import { Worker } from './worker.entity';

export interface WorkerInput {
  name: string;
  idNumber: string;
  phone?: string | null;
  employerOrgId: string;
  trade?: string | null;
  skillLevel?: number | null;
}

export interface WorkerView {
  id: string;
  name: string;
  /** In full only for the worker themself; masked (3301**********1234) for everyone else. */
  idNumber: string;
  idNumberMasked: boolean;
  gender: 'M' | 'F';
  birthDate: string;
  phone: string | null;
  employerOrgId: string;
  trade: string | null;
  skillLevel: number | null;
}

export const PERSONAL_DATA_CIPHER = Symbol('PERSONAL_DATA_CIPHER');

@Injectable()
export class WorkersService {
  constructor(
    private readonly db: Db,
    private readonly orgs: OrganizationsService,
    @Inject(PERSONAL_DATA_CIPHER) private readonly cipher: PersonalDataCipher,
  ) {}

  /** Validates the ID number (400 naming the field) and returns what is stored for it. */
  protectIdNumber(raw: string) {
    const check = checkIdNumber(raw.trim());
    if (!check.ok) throw DomainError.invalid('VALIDATION_FAILED', [`idNumber ${check.reason}`]);
    return {
      idNumberEnc: this.cipher.encrypt(check.normalized),
      idNumberHash: this.cipher.hash(check.normalized),
      idNumberMasked: maskIdNumber(check.normalized),
      birthDate: check.birthDate,
      gender: check.gender,
    };
  }

  /** Keyed hash of an ID number, for look-ups (e.g. the public results query). */
  lookupHash(raw: string): string | undefined {
    const check = checkIdNumber(raw.trim());
    return check.ok ? this.cipher.hash(check.normalized) : undefined;
  }

  /** Inserts a worker inside the caller's transaction. 409 if the ID number is already registered. */
  async insert(m: EntityManager, input: WorkerInput): Promise<Worker> {
    const idn = this.protectIdNumber(input.idNumber);
    const taken = () => DomainError.conflict('ID_NUMBER_REGISTERED', 'a worker with this ID number is already registered');
    if (await m.exists(Worker, { where: { idNumberHash: idn.idNumberHash } })) throw taken();
    const worker = m.create(Worker, {
      id: randomUUID(),
      name: input.name.trim(),
      ...idn,
      phone: input.phone ?? null,
      employerOrgId: input.employerOrgId,
      trade: input.trade ?? null,
      skillLevel: input.skillLevel ?? null,
    });
    try {
      await m.insert(Worker, worker);
    } catch (e) {
      // A concurrent registration of the same number committed after the check above.
      if (isUniqueViolation(e)) throw taken();
      throw e;
    }
    return worker;
  }

  async get(id: string): Promise<Worker> {
    const w = await this.db.run((m) => m.findOne(Worker, { where: { id } }));
    if (!w) throw DomainError.notFound('worker', 'WORKER_NOT_FOUND');
    return w;
  }

  /** A worker as the caller may see it: the owner in full, organizers of the worker's employer subtree masked, others 404. */
  async viewFor(user: AuthUser, id: string): Promise<WorkerView> {
    const w = await this.get(id);
    if (user.workerId === w.id) return this.view(w, true);
    if (hasRole(user, 'admin', 'organizer') && (await this.orgs.inScope(user, w.employerOrgId))) return this.view(w, false);
    throw DomainError.notFound('worker', 'WORKER_NOT_FOUND');
  }

  /** `unmasked` for the owner and for organizers of the worker's competitions; everyone else sees masks. */
  async view(w: Worker, unmasked: boolean): Promise<WorkerView> {
    return (await this.views([w], unmasked)).get(w.id)!;
  }

  /** Views of many workers, decrypting the ID numbers (when unmasked) from one query. */
  async views(workers: Worker[], unmasked: boolean): Promise<Map<string, WorkerView>> {
    const encrypted = new Map<string, string>();
    if (unmasked && workers.length > 0) {
      const rows = await this.db.run((m) => m.find(Worker, { where: { id: In(workers.map((w) => w.id)) }, select: { id: true, idNumberEnc: true } }));
      for (const r of rows) encrypted.set(r.id, r.idNumberEnc);
    }
    return new Map(
      workers.map((w) => [
        w.id,
        {
          id: w.id,
          name: w.name,
          idNumber: unmasked ? this.cipher.decrypt(encrypted.get(w.id)!) : w.idNumberMasked,
          idNumberMasked: !unmasked,
          gender: w.gender,
          birthDate: w.birthDate,
          phone: unmasked || !w.phone ? w.phone : maskPhone(w.phone),
          employerOrgId: w.employerOrgId,
          trade: w.trade,
          skillLevel: w.skillLevel,
        },
      ]),
    );
  }

}
