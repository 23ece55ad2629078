import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { In } from 'typeorm';
import { AuthUser, hasRole } from '../../common/auth/auth-user';
import { DomainError } from '../../common/errors/domain-error';
import { Db } from '../../database/db.service';
import { canBeChildOf, childPath, isWithin } from './domain/org-level';
import { CreateOrganizationDto } from './dto/create-organization.dto';
import { Organization } from './organization.entity';

export interface OrganizationView {
  id: string;
  name: string;
  level: string;
  parentId: string | null;
}

export const toOrganizationView = (o: Organization): OrganizationView => ({ id: o.id, name: o.name, level: o.level, parentId: o.parentId });

@Injectable()
export class OrganizationsService {
  constructor(private readonly db: Db) {}

  /**
   * Organizations never move or change level once created (there is no such operation), so a found
   * one is cached for the life of the process: scope checks run on every request.
   */
  private readonly cache = new Map<string, Organization>();

  async find(id: string): Promise<Organization | null> {
    const hit = this.cache.get(id);
    if (hit) return hit;
    const org = await this.db.run((m) => m.findOne(Organization, { where: { id } }));
    if (org) {
      if (this.cache.size >= 50_000) this.cache.clear();
      this.cache.set(id, org);
    }
    return org;
  }

  async get(id: string): Promise<Organization> {
    const org = await this.find(id);
    if (!org) throw DomainError.notFound('organization', 'ORGANIZATION_NOT_FOUND');
    return org;
  }

  /** Whether `orgId` lies in the subtree of the caller's organization (admins see the whole tree). */
  async inScope(user: AuthUser, orgId: string): Promise<boolean> {
    if (hasRole(user, 'admin')) return true;
    if (!user.organizationId) return false;
    const [own, target] = await Promise.all([this.find(user.organizationId), this.find(orgId)]);
    return !!own && !!target && isWithin(target.path, own.path);
  }

  /** An organizer acts only within its organization's subtree: 403 otherwise. */
  async assertInScope(user: AuthUser, orgId: string): Promise<void> {
    if (!(await this.inScope(user, orgId))) {
      throw DomainError.forbidden('this organization is outside your organization’s subtree', 'OUT_OF_SCOPE');
    }
  }

  async create(user: AuthUser, dto: CreateOrganizationDto): Promise<Organization> {
    if (!dto.parentId && !hasRole(user, 'admin')) {
      throw DomainError.forbidden('only an admin may create a top-level organization', 'OUT_OF_SCOPE');
    }
    const parent = dto.parentId ? await this.find(dto.parentId) : null;
    if (dto.parentId && !parent) throw new DomainError('rejected', 'PARENT_NOT_FOUND', `parentId: organization ${dto.parentId} does not exist`);
    if (parent) {
      await this.assertInScope(user, parent.id);
      if (!canBeChildOf(dto.level, parent.level)) {
        throw new DomainError('rejected', 'LEVEL_NOT_BELOW_PARENT', `level: a ${dto.level} organization cannot sit under a ${parent.level} one`);
      }
    }
    const id = randomUUID();
    const org = { id, name: dto.name, level: dto.level, parentId: parent?.id ?? null, path: childPath(parent?.path ?? null, id) };
    await this.db.run((m) => m.insert(Organization, org));
    return this.get(id);
  }

  async children(id: string): Promise<Organization[]> {
    await this.get(id);
    return this.db.run((m) => m.find(Organization, { where: { parentId: id }, order: { name: 'ASC' } }));
  }

  async many(ids: string[]): Promise<Map<string, Organization>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db.run((m) => m.find(Organization, { where: { id: In([...new Set(ids)]) } }));
    return new Map(rows.map((o) => [o.id, o]));
  }
}
