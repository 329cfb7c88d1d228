// What the end-to-end scripts share: headless Chromium through playwright-core, the checks
// every page gets (axe-core against WCAG 2 A/AA, and the server's HTML saved for the Nu HTML
// Checker, which the Rust test runs on them in one batch), and the helpers that fill and send
// the complaint page's forms.
//
// The environment both scripts read:
//   REDRESS_E2E_CHROMIUM: the browser (default /usr/bin/chromium, Debian's package).
//   REDRESS_E2E_DEADLINE_MS: give up after this long (default 120000).
//   REDRESS_E2E_PAGES: where the pages' HTML goes (emptied first).

import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const axePath = fileURLToPath(new URL('node_modules/axe-core/axe.min.js', import.meta.url));
// Evaluated through the DevTools protocol, not added as a <script>: the pages' strict
// Content-Security-Policy refuses inline scripts, and any refusal fails the test.
const axeSource = readFileSync(axePath, 'utf8');
/** The axe-core rules checked: WCAG 2.0, 2.1 and 2.2, levels A and AA. */
const axeTags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'];
const executablePath = process.env.REDRESS_E2E_CHROMIUM ?? '/usr/bin/chromium';
const deadlineMs = Number(process.env.REDRESS_E2E_DEADLINE_MS ?? 120000);

/** The page the helpers act on (the latest one opened with `openPage`). */
export let page;
let browser;
let pagesDir;
let doing = 'starting'; // what the script is doing now, for the failure message
const problems = []; // page errors and failed requests seen along the way
/** "STATUS METHOD PATH" answers a step asked for (not counted as problems). */
export const expectedStatuses = new Set();
const lastDocuments = new Map(); // page → its main frame's latest document response
const pagesChecked = []; // { name, url, file, violations }

export const step = (what) => {
  doing = what;
  console.log(`- ${what}`);
};

export class Check extends Error {}
export const check = (ok, message) => {
  if (!ok) throw new Check(message);
};

const escapeRegExp = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
export const exactly = (s) => new RegExp(`^\\s*${escapeRegExp(s)}\\s*$`);

/** Today in UTC as YYYY-MM-DD (the server's `today`). */
export const todayUtc = () => new Date().toISOString().slice(0, 10);

/**
 * Runs `main` with a watchdog: on success prints `ok` and exits 0; on failure prints what
 * failed and where, saves a screenshot to `failureShot` and exits 1.
 */
export async function run(main, { pages, failureShot }) {
  pagesDir = pages;
  const watchdog = setTimeout(() => {
    console.error(`FAILED: gave up after ${deadlineMs} ms while ${doing}`);
    process.exit(1);
  }, deadlineMs);
  let exitCode = 0;
  try {
    rmSync(pagesDir, { recursive: true, force: true });
    mkdirSync(pagesDir, { recursive: true });
    step(`launching ${executablePath}`);
    browser = await chromium.launch({
      executablePath,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    });
    await main();
    check(problems.length === 0, `the browser saw problems:\n  ${problems.join('\n  ')}`);
    step(`checked ${pagesChecked.length} pages with axe-core`);
    const report = axeReport();
    check(!report, report);
    console.log('ok');
  } catch (e) {
    exitCode = 1;
    console.error(`FAILED while ${doing}:`);
    console.error(e instanceof Check ? e.message : (e?.stack ?? String(e)));
    if (page) {
      console.error(`page: ${page.url()}`);
      if (problems.length) console.error(`the browser saw:\n  ${problems.join('\n  ')}`);
      const report = axeReport();
      if (report && !(e instanceof Check && e.message === report)) console.error(report);
      try {
        mkdirSync(dirname(failureShot), { recursive: true });
        await page.screenshot({ path: failureShot, fullPage: true });
        console.error(`screenshot of the failure: ${failureShot}`);
      } catch (shotError) {
        console.error(`could not save ${failureShot}: ${shotError.message}`);
      }
    }
  } finally {
    await browser?.close().catch(() => {});
    clearTimeout(watchdog);
  }
  process.exit(exitCode);
}

/**
 * Opens a new browser context (cookies of its own: another person) with the browser's
 * language `locale`, and makes its page the one the helpers act on.
 */
export async function openPage({ locale = 'en-GB' } = {}) {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    locale,
    timezoneId: 'UTC',
  });
  const opened = await context.newPage();
  opened.setDefaultTimeout(15000);
  opened.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  opened.on('console', (m) => {
    // Failed loads are reported (with their address) by the 'response' handler below;
    // the browser's own request for /favicon.ico may 404.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) {
      problems.push(`console error: ${m.text()} (${m.location().url})`);
    }
  });
  opened.on('response', (r) => {
    const url = new URL(r.url());
    const request = r.request();
    if (request.isNavigationRequest() && r.frame() === opened.mainFrame()) {
      lastDocuments.set(opened, r);
    }
    const what = `${r.status()} ${request.method()} ${url.pathname}`;
    if (r.status() >= 400 && url.pathname !== '/favicon.ico' && !expectedStatuses.has(what)) {
      problems.push(`HTTP ${r.status()} for ${request.method()} ${url.pathname}`);
    }
  });
  page = opened;
  return opened;
}

/** Makes `other` (opened before with `openPage`) the page the helpers act on again. */
export function usePage(other) {
  page = other;
}

/** Fills in the sign-in form on the page and sends it. */
export async function signIn(address, secret) {
  await page.getByLabel('Email address', { exact: true }).fill(address);
  await page.getByLabel('Password', { exact: true }).fill(secret);
  await submitAndWait(page.getByRole('button', { name: 'Sign in', exact: true }));
}

/** Signs out from a staff page (one with the header). */
export async function signOut(baseUrl) {
  await page.goto(`${baseUrl}/complaints`); // the error pages have no header to sign out from
  await submitAndWait(page.getByRole('button', { name: 'Sign out', exact: true }));
  check(
    new URL(page.url()).pathname === '/sign-in',
    `signing out led to ${page.url()}, not to /sign-in`,
  );
}

/** The server's HTML of the page now shown (as it arrived, before any script ran). */
export async function documentHtml() {
  const url = page.url().replace(/#.*$/, '');
  const last = lastDocuments.get(page);
  check(
    last && last.url().replace(/#.*$/, '') === url,
    `no document response for ${page.url()} (last: ${last?.url()})`,
  );
  return last.text();
}

/**
 * Checks the page now shown: saves the server's HTML of it to PAGES/NN-name.html (for the
 * Nu HTML Checker) and runs axe-core on it, with every closed `<details>` opened so that the
 * forms inside are checked too (and closed again afterwards).
 */
export async function checkPage(name) {
  const url = page.url();
  const html = await documentHtml();
  const file = join(pagesDir, `${String(pagesChecked.length + 1).padStart(2, '0')}-${name}.html`);
  writeFileSync(file, html);

  await page.evaluate(axeSource);
  await page.evaluate(() => {
    for (const d of document.querySelectorAll('details:not([open])')) {
      d.setAttribute('data-e2e-opened', '');
      d.open = true;
    }
  });
  const { violations, incomplete, passed } = await page.evaluate(async (tags) => {
    const results = await window.axe.run(document, {
      runOnly: { type: 'tag', values: tags },
      resultTypes: ['violations'],
    });
    return {
      passed: results.passes.length,
      violations: results.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        helpUrl: v.helpUrl,
        nodes: v.nodes.map((n) => ({
          target: n.target.map(String).join(' '),
          summary: n.failureSummary ?? '',
        })),
      })),
      incomplete: results.incomplete.map((v) => `${v.id} (${v.nodes.length})`),
    };
  }, axeTags);
  await page.evaluate(() => {
    for (const d of document.querySelectorAll('details[data-e2e-opened]')) {
      d.open = false;
      d.removeAttribute('data-e2e-opened');
    }
  });
  pagesChecked.push({ name, url, file, violations });
  const nodes = violations.reduce((n, v) => n + v.nodes.length, 0);
  const found = violations.length
    ? `${violations.length} VIOLATED (${nodes} elements)`
    : 'no violations';
  console.log(
    `  ${basename(file)}: axe: ${passed} rules passed, ${found}` +
      (incomplete.length ? `; to review by hand: ${incomplete.join(', ')}` : ''),
  );
}

/** The axe-core violations found so far, readably, or '' if there are none. */
function axeReport() {
  const bad = pagesChecked.filter((p) => p.violations.length > 0);
  if (bad.length === 0) return '';
  const lines = [
    `axe-core found accessibility problems (WCAG 2 A/AA) on ${bad.length} of ` +
      `${pagesChecked.length} pages:`,
  ];
  for (const p of bad) {
    lines.push(`${p.name} (${p.url}):`);
    for (const v of p.violations) {
      lines.push(`  ${v.id} [${v.impact}] ${v.help}`);
      lines.push(`    ${v.helpUrl}`);
      // The first few elements in full; the rest by selector.
      for (const [i, n] of v.nodes.entries()) {
        lines.push(`    - ${n.target}`);
        if (i >= 3) continue;
        for (const l of n.summary.split('\n').filter((l) => l.trim())) {
          lines.push(`        ${l.trim()}`);
        }
      }
    }
  }
  return lines.join('\n');
}

/** The `<details>` of one action on the complaint page, by its summary. */
export function actionDetails(labelText) {
  return page
    .locator('details.action')
    .filter({ has: page.locator('summary', { hasText: exactly(labelText) }) });
}

/** Opens the action's `<details>`, fills its form, submits it and waits for the page again. */
export async function act(complaintPath, labelText, fill) {
  step(`"${labelText}"`);
  const details = actionDetails(labelText);
  const offered = await details.count();
  if (offered !== 1) {
    const available = await page.locator('details.action > summary').allInnerTexts();
    throw new Check(
      `"${labelText}" is not offered (${offered} found); the page offers ${JSON.stringify(available)}`,
    );
  }
  await details.locator('summary').click();
  check(await details.evaluate((d) => d.open), `"${labelText}" did not open when clicked`);
  await fill(details);
  await submitAndWait(details.getByRole('button', { name: labelText, exact: true }));
  await backWithoutErrors(complaintPath, `"${labelText}"`);
  await checkPage(`complaint-after-${slug(labelText)}`);
}

/** Checks the browser is back on `path` with no error shown, after `what`. */
export async function backWithoutErrors(path, what) {
  const now = new URL(page.url()).pathname;
  check(
    now === path,
    `after ${what} the browser is on ${page.url()}, not back on ${path}: ${await alertText()}`,
  );
  const errors = await page.locator('.error[role=alert]').allInnerTexts();
  check(errors.length === 0, `after ${what} the page shows errors: ${errors.join('; ')}`);
}

/** "Record a fact" → "record-a-fact". */
function slug(text) {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

/** Clicks something that navigates and waits until the new page has loaded. */
export async function submitAndWait(target) {
  // Together, so that a failed click does not leave the wait to fail unhandled later.
  await Promise.all([
    page.waitForEvent('framenavigated', (f) => f === page.mainFrame()),
    target.click(),
  ]);
  await page.waitForLoadState('load');
}

/** Fills a date input with today's date (or its `min`, if that is later). */
export async function fillDate(input) {
  const min = (await input.getAttribute('min')) ?? '';
  const today = todayUtc();
  await input.fill(min > today ? min : today);
}

/** The text of any alert on the page, for failure messages. */
export async function alertText() {
  const alerts = await page
    .locator('[role=alert]')
    .allInnerTexts()
    .catch(() => []);
  return alerts.length ? alerts.join('; ') : '(no alert on the page)';
}

/**
 * Opens `url` again and again (every 250 ms, for up to 30 s) until `ready()` is true: for
 * what projections or the outbox do in the background, which a busy 2-core CI machine now
 * and then needs seconds for.
 */
export async function openUntil(url, ready, what) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    await page.goto(url);
    if (await ready()) return;
    check(Date.now() < deadline, `${what}: not so after 30 s on ${url}`);
    await page.waitForTimeout(250);
  }
}
