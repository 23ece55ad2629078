import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { insertMany } from '../../database/bulk-insert';
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

const toRow = (r: AuditRecord) => ({ id: randomUUID(), actorId: r.actorId, action: r.action, entityType: r.entityType, entityId: r.entityId, before: r.before ?? null, after: r.after ?? null });

/** The audit trail: written inside the transaction of the change it records. Never holds ID numbers. */
@Injectable()
export class AuditService {
  constructor(private readonly db: Db) {}

  async record(m: EntityManager, r: AuditRecord): Promise<void> {
    await m.insert(AuditEntry, toRow(r) as QueryDeepPartialEntity<AuditEntry>);
  }

  /**
   * The same entries as record() for each, in multi-row INSERTs (insertMany) and without reading
   * the rows back (nothing of them is returned): for changes of many entities at once (awards at finalize).
   */
  async recordMany(m: EntityManager, records: readonly AuditRecord[]): Promise<void> {
    await insertMany(m, AuditEntry, records.map(toRow) as AuditEntry[]);
  }

  /** The trail of one entity, oldest first. */
  forEntity(entityType: string, entityId: string): Promise<AuditEntry[]> {
    return this.db.run((m) => m.find(AuditEntry, { where: { entityType, entityId }, order: { at: 'ASC' } }));
  }
}
