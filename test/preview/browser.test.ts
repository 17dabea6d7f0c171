import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { servePreview } from '../../src/preview/server';
import type { PreviewServer } from '../../src/preview/server';
import { ROOT, campaignCopy, row, tempDir, writeCsv } from '../helpers';

// Functions given to page.evaluate and waitForFunction run in the browser, on its DOM. These are
// the few names they use, declared here rather than with the DOM library, which would change the
// types of the whole project's type check.
interface El {
  textContent: string | null;
  classList: { contains(name: string): boolean };
  dataset: Record<string, string | undefined>;
}
declare const document: { body: El; querySelector(selector: string): El | null };
declare const window: Record<string, unknown>;
declare function getComputedStyle(el: unknown): { direction: string };

/** Debian's chromium (apt-get install chromium; .ci/run installs it), or LETTERMERGE_CHROMIUM. */
const CHROMIUM = [process.env.LETTERMERGE_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p): p is string => !!p && existsSync(p));

let browser: Browser | undefined;
let unavailable: string | undefined;

beforeAll(async () => {
  try {
    if (!CHROMIUM) throw new Error('no chromium at /usr/bin/chromium (apt-get install chromium)');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  } catch (err) {
    unavailable = err instanceof Error ? err.message.split('\n')[0] : String(err);
    // Loud, so that a machine without a browser never passes these tests without saying so.
    process.stderr.write(`\n*** SKIPPED: the browser tests of preview --serve could not start chromium: ${unavailable} ***\n\n`);
  }
}, 60_000);
afterAll(async () => {
  await browser?.close();
});

/** Runs a test in a real browser, or marks it skipped (never passed) when there is none. */
function inBrowser(name: string, fn: () => Promise<void>, timeout = 90_000): void {
  it(
    name,
    async () => {
      if (!browser) {
        console.warn(`skipped (no browser: ${unavailable}): ${name}`);
        return;
      }
      await fn();
    },
    timeout,
  );
}

describe('preview --serve in a real browser', () => {
  const t = tempDir();
  let server: PreviewServer;
  let campaign: string;
  let page: Page;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    if (!browser) return;
    campaign = campaignCopy(t.dir);
    const csv = writeCsv(t.dir, 'people.csv', [
      row({ id: 'es-1', language: 'es', group: 'government', first_name: 'María José', last_name: 'Echeverría' }),
      row({ id: 'ar-1', language: 'ar', first_name: 'ليلى', last_name: 'حداد', organization: 'شركة الشرق للاتصالات' }),
      row({ id: 'en-1', language: 'en', first_name: 'Quentin', last_name: 'Harrowgate' }),
      row({ id: 'bad-1', email: 'jane.doe@', gender: 'sometimes' }),
      // A hostile list: markup in a name and an organisation is shown as text, never run.
      row({ id: 'xss-1', first_name: '<img src=x onerror="document.title=1">', last_name: '<script>document.title=2</script>', organization: '"><b>Org</b>' }),
    ]);
    server = await servePreview({ csv, campaign, port: 0 });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') consoleErrors.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => consoleErrors.push(`page error: ${e.message}`));
    await page.goto(server.url);
  }, 60_000);
  afterAll(async () => {
    await page?.close();
    await server?.close();
    t.cleanup();
  });
  afterEach(() => {
    expect(consoleErrors).toEqual([]);
  });

  /** The first page's text layer, as pdf.js gives it (for Arabic, a span per letter: joined). */
  const textLayer = async () => ((await page.locator('#pages .textLayer').first().textContent()) ?? '').replace(/\s+/g, ' ');

  inBrowser('lists every recipient, the bad row marked with its reason, and shows the first letter in the pdf.js text layer', async () => {
    await page.waitForFunction(() => document.body.dataset.shown === 'es-1:es');
    expect(await page.locator('#list li').count()).toBe(5);
    expect(await page.locator('#list li[data-id="xss-1"]').innerText()).toContain('<img src=x onerror="document.title=1">');
    expect(await page.locator('#list img, #list script, #list b').count()).toBe(0);
    // Every problem of the row, not only the first.
    expect(await page.locator('#list li.bad').innerText()).toMatch(/bad-1[\s\S]*gender: unknown gender "sometimes".*; email: .*jane\.doe@/);
    expect(await textLayer()).toMatch(/María José Echeverría/);
    expect(await page.locator('#headers').innerText()).toMatch(/To\s+María José Echeverría/);
    expect(await page.locator('#attachments').innerText()).toMatch(/Lotes de Asociación – Foro de la CMSI 2022\.pdf \(\d+\.\d kB\)/);
    // The browser would break "wsis-" | "fund@example.org" in the 360-pixel pane (the From header
    // did): an address's hyphen-joined part stays on one line, in the headers and the cover note,
    // and the text is the address itself, nothing added.
    const kept = page.locator('#email .nobreak');
    expect(await kept.allInnerTexts()).toEqual(expect.arrayContaining(['wsis-fund']));
    expect(await page.locator('#headers .nobreak').count()).toBeGreaterThan(0);
    expect(await page.locator('#body .nobreak').count()).toBeGreaterThan(0);
    const lines = await kept.evaluateAll((els) => els.map((el) => (el as unknown as { getClientRects(): { length: number } }).getClientRects().length));
    expect(lines.every((n) => n === 1)).toBe(true);
    expect(await page.locator('#headers dd').first().textContent()).toBe('WSIS Trust Fund <wsis-fund@example.org>');
  });

  inBrowser('picks a recipient by search or keys, and shows right-to-left text in its own direction', async () => {
    await page.fill('#search', 'Harrowgate');
    expect(await page.locator('#list li').count()).toBe(1);
    await page.press('#search', 'Enter');
    await page.waitForFunction(() => document.body.dataset.shown === 'en-1:en');
    expect(await textLayer()).toMatch(/Quentin Harrowgate/);
    await page.fill('#search', '');
    await page.dispatchEvent('#search', 'input');
    await page.locator('#pages').click();
    await page.keyboard.press('k');
    await page.waitForFunction(() => document.body.dataset.shown === 'ar-1:ar');
    // Each line of the cover note in the direction of its first letter, as a plain-text mail reader shows it.
    const lines = page.locator('#body > div');
    expect(await lines.first().getAttribute('dir')).toBe('auto');
    expect(await lines.first().evaluate((el) => getComputedStyle(el).direction)).toBe('rtl');
    const link = lines.filter({ hasText: /^https:\/\/\S+$/ });
    expect(await link.count()).toBe(1);
    expect(await link.evaluate((el) => getComputedStyle(el).direction)).toBe('ltr');
    expect((await textLayer()).replace(/ /g, '')).toMatch(/ليلىحداد/);
    // The README's picture of the page, made here, by the run that checks it: the status line's
    // time (which changes from run to run) left out. Written into docs/ only when asked
    // (LETTERMERGE_UPDATE_DOCS=1): the browser draws a few pixels differently from run to run,
    // and a test run leaves the working tree as it found it.
    await page.evaluate(() => {
      const status = document.querySelector('#status');
      if (status) status.textContent = '';
    });
    const docs = process.env.LETTERMERGE_UPDATE_DOCS === '1' ? path.join(ROOT, 'docs') : t.dir;
    await page.screenshot({ path: path.join(docs, 'preview.png') });
  });

  inBrowser('shows an edit of the template without a reload, and a broken template as an error with its line over the last letter', async () => {
    await page.click('#list li[data-id="es-1"]');
    await page.waitForFunction(() => document.body.dataset.shown === 'es-1:es');
    const letter = path.join(campaign, 'es', 'letter.md');
    const good = readFileSync(letter, 'utf8');
    await page.evaluate(() => (window.marker = true));
    writeFileSync(letter, good.replace('{{salutation}}', '{{salutation}}\n\nUna frase añadida para la vista previa.'));
    await page.waitForFunction(() => document.querySelector('#pages .textLayer')?.textContent?.includes('Una frase añadida para la vista previa'), null, { timeout: 30_000 });
    writeFileSync(letter, good.replace('{{salutation}}', '{{salutation}}\n\n{{#if}}'));
    await page.waitForSelector('#error:not([hidden])', { timeout: 30_000 });
    expect(await page.locator('#error').innerText()).toMatch(/letter\.md:\d+: /);
    expect(await page.evaluate(() => document.body.classList.contains('stale'))).toBe(true);
    expect(await textLayer()).toMatch(/Una frase añadida/);
    writeFileSync(letter, good);
    await page.waitForSelector('#error[hidden]', { state: 'attached', timeout: 30_000 });
    await page.waitForFunction(() => !document.querySelector('#pages .textLayer')?.textContent?.includes('Una frase añadida'));
    // All of it without reloading the page.
    expect(await page.evaluate(() => window.marker)).toBe(true);
  });

  inBrowser('shows markup in a row as text, in the list, the letter and the e-mail', async () => {
    await page.click('#list li[data-id="xss-1"]');
    await page.waitForFunction(() => document.body.dataset.shown === 'xss-1:en');
    expect(await page.locator('#headers').innerText()).toContain('<img src=x onerror="document.title=1">');
    expect(await page.locator('#email img, #email script, #email b').count()).toBe(0);
    expect(await textLayer()).toContain('<script>document.title=2</script>');
    expect(await page.title()).toBe('lettermerge preview');
  });

  inBrowser('refuses the page without the token', async () => {
    const other = await browser!.newPage();
    const res = await other.goto(server.url.replace(/\?token=.*/, ''));
    expect(res?.status()).toBe(403);
    await other.close();
  });
});

describe('preview --serve with a long list', () => {
  const t = tempDir();
  let server: PreviewServer;
  let page: Page;
  let campaign: string;

  beforeAll(async () => {
    if (!browser) return;
    // 450 recipients: the page draws them 200 at a time (a list of 20,000 drawn whole took 7 s to
    // show, and 3 s for each letter typed into the search).
    const rows = Array.from({ length: 450 }, (_, i) => row({ id: `r-${i + 1}`, first_name: `Person${i + 1}`, last_name: i === 420 ? 'Zwolinska' : 'Quinlan' }));
    campaign = campaignCopy(t.dir);
    server = await servePreview({ csv: writeCsv(t.dir, 'people.csv', rows), campaign, port: 0 });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('request', (r) => requests.push(new URL(r.url()).pathname));
    await page.goto(server.url);
    await page.waitForFunction(() => document.body.dataset.shown === 'r-1:en');
  }, 60_000);
  afterAll(async () => {
    await page?.close();
    await server?.close();
    t.cleanup();
  });

  const drawn = () => page.locator('#list li[role="option"]').count();
  const requests: string[] = [];

  inBrowser('reads the list and makes the first letter once as it opens', async () => {
    // The live events' first message (sent as the page connects) made the page read the list and
    // the letter a second time.
    await page.waitForTimeout(500);
    expect(requests.filter((p) => p === '/api/recipients')).toHaveLength(1);
    expect(requests.filter((p) => p === '/api/letter')).toHaveLength(1);
  });

  inBrowser('draws the list a part at a time: more as it is scrolled or moved through, and any recipient by search', async () => {
    expect(await drawn()).toBe(200);
    expect(await page.locator('#list li.more').innerText()).toBe('250 more: scroll on, or search to narrow the list');
    // Scrolled to its end, the list draws the next part.
    await page.locator('#list').evaluate((el) => ((el as unknown as { scrollTop: number; scrollHeight: number }).scrollTop = (el as unknown as { scrollHeight: number }).scrollHeight));
    await page.waitForFunction(() => document.querySelector('#list li.more')?.textContent?.startsWith('50 more') ?? false);
    expect(await drawn()).toBe(400);
    // Moved down past the last one drawn, it goes on to the next, drawn then.
    await page.locator('#list li[data-id="r-400"]').click();
    await page.waitForFunction(() => document.body.dataset.shown === 'r-400:en');
    await page.keyboard.press('j');
    await page.waitForFunction(() => document.body.dataset.shown === 'r-401:en');
    expect(await drawn()).toBe(450);
    expect(await page.locator('#list li.more').count()).toBe(0);
    // A recipient far down the list is found by search.
    await page.fill('#search', 'zwolinska');
    expect(await drawn()).toBe(1);
    await page.press('#search', 'Enter');
    await page.waitForFunction(() => document.body.dataset.shown === 'r-421:en');
  });

  inBrowser('makes the letter again first when a template changes, then reads the list, keeping its place', async () => {
    await page.fill('#search', '');
    await page.dispatchEvent('#search', 'input');
    await page.locator('#pages').click();
    await page.keyboard.press('j');
    await page.waitForFunction(() => document.body.dataset.shown === 'r-422:en');
    expect(await drawn()).toBe(422);
    requests.length = 0;
    const letter = path.join(campaign, 'en', 'letter.md');
    writeFileSync(letter, readFileSync(letter, 'utf8').replace('{{salutation}}', '{{salutation}}\n\nA new first paragraph.'));
    await page.waitForFunction(() => document.querySelector('#pages .textLayer')?.textContent?.includes('A new first paragraph') ?? false);
    await page.waitForTimeout(300);
    const api = requests.filter((p) => p.startsWith('/api/'));
    expect(api).toEqual(['/api/letter', '/api/recipients']);
    // The list read again is drawn as far as before, the chosen one still chosen.
    expect(await drawn()).toBe(422);
    expect(await page.locator('#list li[data-id="r-422"]').getAttribute('aria-selected')).toBe('true');
  });
});
