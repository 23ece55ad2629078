import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { Db } from '../../database/db.service';
import { AuditEntry } from './audit-entry.entity';

export interface AuditRecord {
  actorId: string | null;
  action: string;
  entityType: string;
  entityId: string;
  before?: unknown;
  after?: unknown;
}

/** The audit trail: written inside the transaction of the change it records. Never holds ID numbers. */
@Injectable()
export class AuditService {
  constructor(private readonly db: Db) {}

  async record(m: EntityManager, r: AuditRecord): Promise<void> {
    const row = { id: randomUUID(), actorId: r.actorId, action: r.action, entityType: r.entityType, entityId: r.entityId, before: r.before ?? null, after: r.after ?? null };
    await m.insert(AuditEntry, row as QueryDeepPartialEntity<AuditEntry>);
  }

  /** The trail of one entity, oldest first. */
  forEntity(entityType: string, entityId: string): Promise<AuditEntry[]> {
    return this.db.run((m) => m.find(AuditEntry, { where: { entityType, entityId }, order: { at: 'ASC' } }));
  }
}
