import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { certificateView, CertificateFacts } from './certificate-payload';
import { parseLayout, templateFor, templatesRoot } from './certificate-template';

const facts = (over: Partial<CertificateFacts['recipient']> = {}, type = 'may_day_medal'): CertificateFacts => ({
  certificateId: 'c',
  serial: 'QZ-2026-000123',
  verifyUrl: 'http://localhost/verify/x',
  award: { id: 'a', type, level: 'city', rank: 1, total: 9550, issuedAt: new Date('2026-11-27T17:00:00Z') },
  recipient: { name: '张㛃𠇔', employer: '国网衢州供电公司', ...over },
  competition: { id: 'k', title: '2026年衢州市电工职业技能竞赛', level: 'city' },
  issuer: { id: 'o', name: '衢州市总工会' },
});

describe('certificate templates', () => {
  it('renders the May-Day medal with its level, the rank, the issuer, the China date and the serial', () => {
    const lines = templateFor('may_day_medal').render(certificateView(facts()));
    const text = lines.map((l) => `${l.role}:${l.text}`);
    expect(text).toEqual(expect.arrayContaining(['name:张㛃𠇔 同志：', 'award:市五一劳动奖章', 'issuer:衢州市总工会', 'date:2026年11月28日', 'serial:证书编号：QZ-2026-000123']));
    expect(lines.find((l) => l.role === 'text' && l.text.includes('第1名'))?.text).toContain('2026年衢州市电工职业技能竞赛');
  });

  it('falls back to the default template for award types without their own', () => {
    const t = templateFor('prize_2');
    expect(t.version).toMatch(/^default\.hbs@[0-9a-f]{12}$/);
    expect(t.render(certificateView(facts({}, 'prize_2'))).find((l) => l.role === 'award')?.text).toBe('二等奖');
  });

  it('prints user data exactly: escaped for the template, decoded for the page, newlines flattened', () => {
    const lines = templateFor('technical_expert').render(certificateView(facts({ name: 'A&B <x> "q" \'s\' `=`', employer: '第一\naward: 伪造' }, 'technical_expert')));
    expect(lines.find((l) => l.role === 'name')?.text).toBe('A&B <x> "q" \'s\' `=` 同志：');
    expect(lines.filter((l) => l.role === 'award').map((l) => l.text)).toEqual(['市技术能手']);
    expect(lines.some((l) => l.text.includes('第一 award: 伪造'))).toBe(true);
  });

  it('refuses output lines without a known role', () => {
    expect(() => parseLayout('title: 荣誉证书\nbogus: x')).toThrow(/line 2.*bogus/);
  });

  it('finds templates/ from the source tree', () => {
    expect(fs.existsSync(path.join(templatesRoot(), 'certificates', 'default.hbs'))).toBe(true);
    expect(() => templatesRoot(os.tmpdir())).toThrow(/no templates\/certificates/);
  });
});
