import type { Database } from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { PersonalDataCipher } from '../../src/common/crypto/personal-data';
import { WorkersService } from '../../src/modules/identity/workers.service';
import { distinctIdNumber } from './api';

/** A small seeded PRNG (mulberry32): the same data in every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SURNAMES = '王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎';
const GIVEN = '建国明华强伟芳军平刚杰磊敏静丽勇涛超斌辉霞鹏宇浩凯峰亮红燕玲俊飞洋波';

/** A Chinese name of two or three characters. */
export const randomName = (rnd: () => number) =>
  SURNAMES[Math.floor(rnd() * SURNAMES.length)] + GIVEN[Math.floor(rnd() * GIVEN.length)] + (rnd() < 0.6 ? GIVEN[Math.floor(rnd() * GIVEN.length)] : '');

export interface ApprovedEntries {
  competitionId: string;
  count: number;
  /** Employer and nominating organization of the i-th entry's worker. */
  orgsOf: (i: number) => { employerId: string; nominatingOrgId: string };
  /** The organizer who enrolled and approved them. */
  organizerId: string;
  dataKey: Buffer;
}

/**
 * Workers (ID numbers protected as the application stores them) and their approved entries, inserted straight
 * into the SQLite file in one transaction: seeding, not measured. Time used: whole minutes, so that equal totals
 * are often broken by it, sometimes not at all.
 */
export function insertApprovedEntries(db: Database, rnd: () => number, o: ApprovedEntries): void {
  const workers = new WorkersService(undefined as never, undefined as never, new PersonalDataCipher(o.dataKey));
  const insertWorker = db.prepare(
    'INSERT INTO workers (id, name, id_number_enc, id_number_hash, id_number_masked, gender, birth_date, phone, employer_org_id, trade, skill_level) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const insertEntry = db.prepare(
    "INSERT INTO enrolments (id, competition_id, worker_id, nominating_org_id, status, time_used_seconds, source, created_by, decided_by, decided_at) VALUES (?, ?, ?, ?, 'approved', ?, 'organizer', ?, ?, datetime('now'))",
  );
  db.transaction(() => {
    for (let i = 0; i < o.count; i++) {
      const idn = workers.protectIdNumber(distinctIdNumber());
      const { employerId, nominatingOrgId } = o.orgsOf(i);
      const name = randomName(rnd);
      const workerId = randomUUID();
      insertWorker.run(workerId, name, idn.idNumberEnc, idn.idNumberHash, idn.idNumberMasked, idn.gender, idn.birthDate, '13900001111', employerId, '电工', 3);
      insertEntry.run(randomUUID(), o.competitionId, workerId, nominatingOrgId, 60 * (40 + Math.floor(rnd() * 50)), o.organizerId, o.organizerId);
    }
  })();
}
