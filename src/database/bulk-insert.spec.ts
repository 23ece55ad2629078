import { Column, DataSource, Entity, PrimaryColumn } from 'typeorm';
import { insertMany } from './bulk-insert';

@Entity({ name: 'bulk_things' })
class Thing {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @Column({ type: 'integer', default: 7 }) n: number;
  @Column({ type: 'boolean', default: false }) flag: boolean;
  @Column({ type: 'simple-json', nullable: true }) data: Record<string, unknown> | null;
  @Column({ type: 'datetime', nullable: true }) at: Date | null;
  @Column({ type: 'varchar', length: 20, nullable: true }) label: string | null;
}

describe('insertMany', () => {
  let ds: DataSource;

  beforeEach(async () => {
    ds = await new DataSource({ type: 'better-sqlite3', database: ':memory:', entities: [Thing], synchronize: true }).initialize();
  });
  afterEach(() => ds.destroy());

  const thing = (i: number, extra: Partial<Thing> = {}): Thing =>
    Object.assign(new Thing(), { id: `t-${String(i).padStart(5, '0')}`, n: i, flag: i % 2 === 0, data: { i, name: '张㛃' }, at: new Date(Date.UTC(2026, 10, 28, 12, 0, i % 60)), label: null, ...extra });

  it('writes what TypeORM reads back as the same values (numbers, booleans, JSON, dates, null)', async () => {
    const rows = [thing(1), thing(2, { label: "it's" })];
    await insertMany(ds.manager, Thing, rows);
    const back = await ds.manager.find(Thing, { order: { id: 'ASC' } });
    expect(back).toEqual(rows);
  });

  it('leaves a column no row sets to its default', async () => {
    await insertMany(ds.manager, Thing, [{ id: 'a' } as Thing, { id: 'b' } as Thing]);
    const back = await ds.manager.find(Thing, { order: { id: 'ASC' } });
    expect(back.map((t) => [t.id, t.n, t.flag, t.data, t.at])).toEqual([
      ['a', 7, false, null, null],
      ['b', 7, false, null, null],
    ]);
  });

  it('splits thousands of rows over several statements and inserts every one', async () => {
    const rows = Array.from({ length: 2345 }, (_, i) => thing(i));
    const statements: string[] = [];
    const query = ds.manager.query.bind(ds.manager);
    jest.spyOn(ds.manager, 'query').mockImplementation((q: string, p?: unknown) => {
      statements.push(q);
      return query(q, p as unknown[]);
    });
    await insertMany(ds.manager, Thing, rows);
    expect(statements.length).toBeGreaterThan(1);
    expect(await ds.manager.count(Thing)).toBe(2345);
    expect((await ds.manager.findOneByOrFail(Thing, { id: 't-02344' })).data).toEqual({ i: 2344, name: '张㛃' });
  });

  it('refuses rows that set different columns, writing nothing', async () => {
    await expect(insertMany(ds.manager, Thing, [thing(1), { id: 'x' } as Thing])).rejects.toThrow(/same columns/);
    expect(await ds.manager.count(Thing)).toBe(0);
  });

  it('does nothing for no rows', async () => {
    await insertMany(ds.manager, Thing, []);
    expect(await ds.manager.count(Thing)).toBe(0);
  });
});
