import { describeInBrowser, launchChromium } from '../utils/browser';
import { createTestApp, TestApp } from '../utils/create-test-app';

/** The BullMQ dashboard (@bull-board/fastify) as an admin's browser shows it: page, scripts and styles, and the queues. */
describeInBrowser('the queue dashboard in a browser', () => {
  let t: TestApp;
  let browser: import('playwright-core').Browser;

  beforeAll(async () => {
    t = await createTestApp();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.dispose();
  });

  it('renders the queues for an admin signed in by cookie, every asset served, nothing fetched from elsewhere (the linked web font blocked)', async () => {
    const context = await browser.newContext();
    const url = new URL(t.baseUrl);
    await context.addCookies([{ name: 'access_token', value: await t.adminToken(), domain: url.hostname, path: '/' }]);
    const page = await context.newPage();
    const failed: string[] = [];
    const outside: string[] = [];
    // The page links Google Fonts; the dashboard's Content-Security-Policy stops the browser from fetching it.
    const blocked: string[] = [];
    page.on('requestfinished', (r) => {
      if (!r.url().startsWith(t.baseUrl)) outside.push(r.url());
    });
    page.on('requestfailed', (r) => {
      if (!r.url().startsWith(t.baseUrl)) blocked.push(`${r.failure()?.errorText} ${r.url()}`);
    });
    page.on('response', (r) => {
      if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
    });
    try {
      const res = await page.goto(`${t.baseUrl}/admin/queues`);
      expect(res!.status()).toBe(200);
      // The queue list is drawn by the dashboard's own script from its JSON API.
      await page.getByText('domain-events').first().waitFor({ timeout: 15_000 });
      const text = await page.locator('body').innerText();
      expect(text).toContain('system');
      expect(failed).toEqual([]);
      expect(outside).toEqual([]);
      for (const b of blocked) expect(b).toMatch(/^(csp|net::ERR_BLOCKED_BY_CSP) /);
      expect(res!.headers()['content-security-policy']).toContain("default-src 'self'");
    } finally {
      await context.close();
    }
  });

  it('shows a browser without the admin cookie the 401 in the API error shape, not the dashboard', async () => {
    const page = await browser.newPage();
    try {
      const res = await page.goto(`${t.baseUrl}/admin/queues`);
      expect(res!.status()).toBe(401);
      expect(JSON.parse(await page.locator('body').innerText())).toMatchObject({ statusCode: 401, code: 'UNAUTHENTICATED' });
    } finally {
      await page.close();
    }
  });
});
