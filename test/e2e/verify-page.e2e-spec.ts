import { Award } from '../../src/modules/awards/award.entity';
import { Certificate } from '../../src/modules/certificates/certificate.entity';
import { finalize, publishedContest, revokeAward } from '../factories/awards.factory';
import { waitForProgress } from '../factories/certificates.factory';
import { createOrgTree, createUser } from '../factories/identity.factory';
import { describeInBrowser, launchChromium } from '../utils/browser';
import { createTestApp, TestApp } from '../utils/create-test-app';

describeInBrowser('the public verification page in a browser', () => {
  let t: TestApp;
  let browser: import('playwright-core').Browser;
  let valid: Certificate;
  let revoked: Certificate;

  beforeAll(async () => {
    t = await createTestApp({ workers: true });
    const admin = await t.adminToken();
    const orgs = await createOrgTree(t);
    const organizer = await createUser(t, admin, { roles: ['organizer'], organizationId: orgs.city.id });
    const c = await publishedContest(t, organizer.token, {
      organizationId: orgs.city.id,
      employerOrgId: orgs.enterprise.id,
      judgeOrgId: orgs.city.id,
      over: { awardRules: [{ fromRank: 1, toRank: 2, award: 'technical_expert' }] },
      entries: [
        { name: '张㛃𠇔', marks: { exam: 95, wiring: 38, safety: 10 } },
        { name: '李建国', marks: { exam: 85, wiring: 34, safety: 9 } },
      ],
    });
    const res = await finalize(t, admin, c.id);
    if (res.status !== 200) throw new Error(`finalize failed: ${res.status} ${JSON.stringify(res.body)}`);
    await waitForProgress(t, organizer.token, c.id, (p) => p.total === 2 && p.ready === 2);
    const awards = await t.db.run((m) => m.find(Award, { where: { competitionId: c.id } }));
    const award = (name: string) => awards.find((a) => a.workerId === c.byName(name).workerId)!;
    await revokeAward(t, organizer.token, award('李建国').id, '经查实存在违规行为');
    const cert = async (awardId: string) => (await t.db.run((m) => m.findOne(Certificate, { where: { awardId } })))!;
    valid = await cert(award('张㛃𠇔').id);
    revoked = await cert(award('李建国').id);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.dispose();
  });

  /** Opens the page and returns its visible text, failing on any request that leaves the server. */
  async function visibleText(path: string): Promise<{ status: number; text: string; title: string }> {
    const page = await browser.newPage();
    const outside: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(t.baseUrl)) outside.push(r.url());
    });
    try {
      const res = await page.goto(`${t.baseUrl}${path}`);
      const text = await page.locator('body').innerText();
      expect(outside).toEqual([]);
      return { status: res!.status(), text, title: await page.title() };
    } finally {
      await page.close();
    }
  }

  it('says a certificate is valid, with its serial, award, issuer and the masked name, without login', async () => {
    const { status, text, title } = await visibleText(`/verify/${valid.verificationCode}`);
    expect(status).toBe(200);
    expect(title).toContain('证书有效');
    for (const s of ['获奖证书验证', '证书有效', valid.serial, '张*𠇔', '市技术能手', '衢州市总工会', '已签发']) expect(text).toContain(s);
    expect(text).not.toContain('张㛃𠇔');
  });

  it('says a revoked certificate is revoked', async () => {
    const { status, text } = await visibleText(`/verify/${revoked.verificationCode}`);
    expect(status).toBe(200);
    expect(text).toContain('证书已撤销');
    expect(text).toContain(revoked.serial);
    expect(text).toContain('撤销）');
    expect(text).not.toContain('证书有效');
  });

  it('says no certificate has an unknown code', async () => {
    const { status, text } = await visibleText('/verify/AAAAAAAAAAAAAAAAAAAAAA');
    expect(status).toBe(404);
    expect(text).toContain('未找到证书');
  });
});
