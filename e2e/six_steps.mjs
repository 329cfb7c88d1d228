#!/usr/bin/env node
// End-to-end check of Redress in headless Chromium: an agent signs in, takes a complaint by
// phone, works it through the six steps to resolution and closure, and the complaint page
// shows all six steps done, the whole timeline and the "Reopen" action.
//
// Every page it sees (sign-in, the queue, the intake form, the complaint page at each stage,
// refused forms, the company and contact files, the account page, error pages and, with an
// admin account, the staff accounts page) is checked with axe-core against WCAG 2 A and AA,
// and the server's HTML of each is saved as PAGES/NN-name.html for the Nu HTML Checker
// (browser.rs runs vnu.jar on them in one batch).
//
// Usage: node e2e/six_steps.mjs BASE_URL EMAIL PASSWORD [SCREENSHOT]
//   or the environment: REDRESS_E2E_BASE_URL, REDRESS_E2E_EMAIL, REDRESS_E2E_PASSWORD,
//   REDRESS_E2E_SCREENSHOT (default target/e2e/complaint-page.png).
//   REDRESS_E2E_PAGES: where the pages' HTML goes (default: pages/ next to the screenshot;
//   emptied first).
//   REDRESS_E2E_ADMIN_EMAIL, REDRESS_E2E_ADMIN_PASSWORD: an admin account, to check the
//   staff accounts page too (skipped without them).
//   REDRESS_E2E_STATUS_PATH: a customer's status page (its signed link's path).
//   REDRESS_E2E_EMAIL_COMPLAINT, REDRESS_E2E_ORIGINAL_PATH: a complaint that came by email
//   and its original email's page (checked as the admin).
//   REDRESS_E2E_CUSTOMER: a customer's contact file (its export and erasure pages are checked
//   as the admin).
//   REDRESS_E2E_CHROMIUM: the browser (default /usr/bin/chromium, Debian's package).
//   REDRESS_E2E_DEADLINE_MS: give up after this long (default 120000).
//
// On success: saves a full-page screenshot of the complaint page, prints
// "complaint: RDR-…" and exits 0. On failure (including any axe-core violation): prints what
// failed, saves failure.png next to the screenshot and exits 1.
//
// The accounts must exist already (crates/redress/tests/api/browser.rs creates them).

import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const [argBase, argEmail, argPassword, argShot] = process.argv.slice(2);
const baseUrl = (argBase ?? process.env.REDRESS_E2E_BASE_URL ?? '').replace(/\/+$/, '');
const email = argEmail ?? process.env.REDRESS_E2E_EMAIL;
const password = argPassword ?? process.env.REDRESS_E2E_PASSWORD;
const screenshot = resolve(
  argShot ?? process.env.REDRESS_E2E_SCREENSHOT ?? 'target/e2e/complaint-page.png',
);
const failureShot = join(dirname(screenshot), 'failure.png');
const pagesDir = resolve(process.env.REDRESS_E2E_PAGES ?? join(dirname(screenshot), 'pages'));
const adminEmail = process.env.REDRESS_E2E_ADMIN_EMAIL;
const adminPassword = process.env.REDRESS_E2E_ADMIN_PASSWORD;
const statusPath = process.env.REDRESS_E2E_STATUS_PATH;
const emailComplaint = process.env.REDRESS_E2E_EMAIL_COMPLAINT;
const originalPath = process.env.REDRESS_E2E_ORIGINAL_PATH;
const customerPath = process.env.REDRESS_E2E_CUSTOMER;
const axePath = fileURLToPath(new URL('node_modules/axe-core/axe.min.js', import.meta.url));
// Evaluated through the DevTools protocol, not added as a <script>: the pages' strict
// Content-Security-Policy refuses inline scripts, and any refusal fails the test.
const axeSource = readFileSync(axePath, 'utf8');
/** The axe-core rules checked: WCAG 2.0, 2.1 and 2.2, levels A and AA. */
const axeTags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'];
const executablePath = process.env.REDRESS_E2E_CHROMIUM ?? '/usr/bin/chromium';
const deadlineMs = Number(process.env.REDRESS_E2E_DEADLINE_MS ?? 120000);

if (!baseUrl || !email || !password) {
  console.error('usage: node e2e/six_steps.mjs BASE_URL EMAIL PASSWORD [SCREENSHOT]');
  process.exit(2);
}

// What the script is doing now, for the failure message.
let doing = 'starting';
const step = (what) => {
  doing = what;
  console.log(`- ${what}`);
};

class Check extends Error {}
const check = (ok, message) => {
  if (!ok) throw new Check(message);
};

const escapeRegExp = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const exactly = (s) => new RegExp(`^\\s*${escapeRegExp(s)}\\s*$`);

/** Today in UTC as YYYY-MM-DD (the server's `today`). */
const todayUtc = () => new Date().toISOString().slice(0, 10);

let browser;
let page;
const problems = []; // page errors and failed requests seen along the way
const expectedStatuses = new Set(); // "STATUS METHOD PATH" answers a step asked for
let lastDocument; // the main frame's latest document response: the server's own HTML
const pagesChecked = []; // { name, url, file, violations }

async function main() {
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
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    locale: 'en-GB',
    timezoneId: 'UTC',
  });
  page = await context.newPage();
  page.setDefaultTimeout(15000);
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    // Failed loads are reported (with their address) by the 'response' handler below;
    // the browser's own request for /favicon.ico may 404.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) {
      problems.push(`console error: ${m.text()} (${m.location().url})`);
    }
  });
  page.on('response', (r) => {
    const url = new URL(r.url());
    const request = r.request();
    if (request.isNavigationRequest() && r.frame() === page.mainFrame()) lastDocument = r;
    const what = `${r.status()} ${request.method()} ${url.pathname}`;
    if (r.status() >= 400 && url.pathname !== '/favicon.ico' && !expectedStatuses.has(what)) {
      problems.push(`HTTP ${r.status()} for ${request.method()} ${url.pathname}`);
    }
  });
  rmSync(pagesDir, { recursive: true, force: true });
  mkdirSync(pagesDir, { recursive: true });

  // Sign in, once with a wrong password.
  step('opening /sign-in');
  await page.goto(`${baseUrl}/sign-in`);
  await checkPage('sign-in');
  step('signing in with a wrong password');
  expectedStatuses.add('401 POST /sign-in');
  await signIn(email, `${password} (wrong)`);
  check(
    new URL(page.url()).pathname === '/sign-in',
    `a wrong password led to ${page.url()}, not back to /sign-in`,
  );
  await checkPage('sign-in-refused');

  // A customer complains through the public form, without an account.
  step('opening the public complaint form');
  await page.goto(`${baseUrl}/complain`);
  await checkPage('public-form');
  await page.getByLabel('Your name').fill('Olivia Bennett');
  await page.getByLabel('Your email address').fill('olivia@example.co.uk');
  await page.getByLabel('What is it about?').selectOption('Delivery');
  await page.getByLabel('In one line, what went wrong?').fill('My parcel never arrived');
  await page.getByLabel('What happened?').fill('The tracking says delivered, but nothing came.');
  await submitAndWait(page.getByRole('button', { name: 'Send my complaint', exact: true }));
  check(
    new URL(page.url()).pathname === '/complain/thanks' &&
      /RDR-[0-9A-Z]{4}-[0-9A-Z]{4}/.test(await page.textContent('main')),
    `the public form led to ${page.url()} without a reference: ${await alertText()}`,
  );
  await checkPage('public-thanks');
  if (statusPath) {
    step('opening a customer\'s status page from its signed link');
    await page.goto(`${baseUrl}${statusPath}`);
    check(
      (await page.getByRole('heading', { name: 'Add something', exact: true }).count()) === 1,
      `the status page ${statusPath} does not offer to add something: ${await alertText()}`,
    );
    await checkPage('status-page');
  }
  step('signing in');
  await page.goto(`${baseUrl}/sign-in`);
  await signIn(email, password);
  check(
    !new URL(page.url()).pathname.startsWith('/sign-in'),
    `still on ${page.url()} after signing in: ${await alertText()}`,
  );

  // Take a complaint by phone.
  step('opening /complaints');
  await page.goto(`${baseUrl}/complaints`);
  await checkPage('queue-first');
  step('clicking "Take a complaint"');
  await submitAndWait(page.getByRole('link', { name: 'Take a complaint', exact: true }));
  check(new URL(page.url()).pathname === '/complaints/new', `"Take a complaint" led to ${page.url()}`);
  await checkPage('new-complaint');

  step('sending the intake form empty (the browser\'s own checks off)');
  expectedStatuses.add('422 POST /complaints/new');
  await page.locator('form[action="/complaints/new"]').evaluate((f) => {
    f.noValidate = true;
  });
  await submitAndWait(page.getByRole('button', { name: 'Receive the complaint', exact: true }));
  const refusedErrors = await page.locator('.error').count();
  check(refusedErrors > 0, `the empty intake form led to ${page.url()} without errors shown`);
  await checkPage('new-complaint-refused');

  step('filling the intake form');
  const label = (text) => page.getByLabel(text, { exact: true });
  await label("Customer's name").fill('Ana Pop');
  await label("Customer's email").fill('ana.pop@example.ro');
  await label('Phone (optional)').fill('+40 721 000 111');
  await label('Company (optional)').fill('Contoso Ltd');
  await label('Category').fill('Billing');
  await label('Summary (one line)').fill('Charged twice for one order');
  await label('Language to write to them in').selectOption({ label: 'English' });
  await label('How they reached us').selectOption({ label: 'Phone' });
  await label('Priority').selectOption({ label: 'High' });
  await label("What happened, in the customer's words").fill(
    'I ordered one kettle and my card was charged twice on the same day.',
  );
  await label('What they would like us to do (optional)').fill('Refund the second payment.');
  step('receiving the complaint');
  await submitAndWait(page.getByRole('button', { name: 'Receive the complaint', exact: true }));
  const complaintPath = new URL(page.url()).pathname;
  check(
    /^\/complaints\/RDR-[A-Z0-9-]+$/.test(complaintPath),
    `receiving the complaint led to ${page.url()}: ${await alertText()}`,
  );
  const reference = complaintPath.split('/').pop();
  console.log(`complaint: ${reference}`);
  await checkPage('complaint-received');

  step('sending "Acknowledge with an apology" empty (the browser\'s own checks off)');
  expectedStatuses.add(`422 POST ${complaintPath}/acknowledge`);
  {
    const details = actionDetails('Acknowledge with an apology');
    await details.locator('summary').click();
    await details.locator('form').evaluate((f) => {
      f.noValidate = true;
    });
    await submitAndWait(
      details.getByRole('button', { name: 'Acknowledge with an apology', exact: true }),
    );
    const shown = await page.locator('details.action[open] .error[role=alert]').count();
    check(shown === 1, `the empty apology led to ${page.url()} without the error beside the form`);
    await checkPage('complaint-action-refused');
    await page.goto(`${baseUrl}${complaintPath}`);
  }

  // The six steps, then resolution and closure.
  await act(complaintPath, 'Acknowledge with an apology', async (form) => {
    await form
      .getByLabel('Your apology to the customer', { exact: true })
      .fill('We are sorry you were charged twice. Thank you for telling us.');
  });
  await act(complaintPath, 'Record what the customer said', async (form) => {
    await form.getByLabel('How they told us', { exact: true }).selectOption({ label: 'Phone' });
    await form
      .getByLabel('What the customer said', { exact: true })
      .fill('Two identical charges of 49.99 appeared on my statement on the same day.');
  });
  await act(complaintPath, 'Record a fact', async (form) => {
    await form
      .getByLabel('The fact', { exact: true })
      .fill('The payment provider captured the same authorisation twice.');
    await form.getByLabel('Source (optional)', { exact: true }).fill('Payment provider report');
  });
  await act(complaintPath, 'Conclude the investigation', async (form) => {
    await form
      .getByLabel('What the facts show', { exact: true })
      .fill('The customer was charged twice because of a retry in our checkout.');
  });
  await act(complaintPath, 'Commit to an action', async (form) => {
    await form
      .getByLabel('What we will do', { exact: true })
      .fill('Refund the second payment and fix the checkout retry.');
    await fillDate(form.getByLabel('Done by', { exact: true }));
  });
  let ownerName = '';
  await act(complaintPath, 'Name the owner', async (form) => {
    const select = form.getByLabel('Person responsible', { exact: true });
    const options = await select.locator('option').count();
    check(options > 0, 'the "Person responsible" list is empty');
    ownerName = (await select.locator('option:checked').innerText())
      .replace(/\s*\(current\)\s*$/, '')
      .trim();
  });
  await act(complaintPath, 'Send a progress update', async (form) => {
    await form
      .getByLabel('Update for the customer', { exact: true })
      .fill('The refund is on its way; you will see it within five working days.');
    await fillDate(form.getByLabel('Next update by', { exact: true }));
  });
  await act(complaintPath, 'Resolve with an outcome', async (form) => {
    await form.getByLabel('Outcome', { exact: true }).selectOption({ label: 'Upheld' });
    await form
      .getByLabel('Reasons (said with care)', { exact: true })
      .fill('You were right: we charged you twice, and we are sorry.');
    await form.getByLabel('Remedy (optional)', { exact: true }).fill('Second payment refunded');
    await form
      .getByLabel('Redress paid (optional, e.g. 24.99)', { exact: true })
      .fill('49.99');
  });
  await act(complaintPath, 'Close', async () => {});

  // What the page shows now.
  step('checking the six steps');
  await page.goto(`${baseUrl}${complaintPath}`);
  const stepCount = await page.locator('ol.steps > li.step').count();
  const doneCount = await page.locator('ol.steps > li.step.done').count();
  check(stepCount === 6, `expected 6 step boxes, found ${stepCount}`);
  check(doneCount === 6, `expected all 6 steps done, found ${doneCount} done`);

  step('checking the timeline');
  const titles = (await page.locator('#timeline ol.timeline > li > h3').allInnerTexts()).map((t) =>
    t.trim(),
  );
  const expected = [
    'Complaint received (Phone)',
    'Step 1 · Acknowledged with an apology',
    'Step 2 · The customer said (Phone)',
    'Step 3 · Fact established',
    'Step 3 · Investigation concluded',
    'Step 4 · Committed to an action',
    `Step 5 · ${ownerName} is responsible`,
    'Step 6 · Progress update sent',
    'Resolved: upheld',
    'Closed',
  ];
  const missing = expected.filter((t) => !titles.includes(t));
  check(
    missing.length === 0,
    `the timeline lacks ${JSON.stringify(missing)}; it has ${JSON.stringify(titles)}`,
  );
  // Newest first by default: "Closed" on top, the receipt at the bottom.
  check(
    titles[0] === 'Closed' && titles[titles.length - 1] === 'Complaint received (Phone)',
    `the timeline is not newest first: ${JSON.stringify(titles)}`,
  );

  step('checking the status and the "Reopen" action');
  const status = ((await page.locator('.meta .status').textContent()) ?? '').trim();
  check(status === 'closed', `the status says "${status}", not "closed"`);
  const reopen = actionDetails('Reopen');
  check((await reopen.count()) === 1, 'the "Reopen" action is not offered');

  step(`saving the screenshot ${screenshot}`);
  mkdirSync(dirname(screenshot), { recursive: true });
  await page.screenshot({ path: screenshot, fullPage: true });

  step('checking that Tab from the top reaches "Skip to content" first');
  await page.goto(`${baseUrl}${complaintPath}`);
  await page.keyboard.press('Tab');
  const focused = await page.evaluate(() => {
    const el = document.activeElement;
    const box = el?.getBoundingClientRect();
    return {
      tag: el?.tagName,
      text: el?.textContent?.trim(),
      href: el?.getAttribute('href'),
      visible: !!box && box.width > 0 && box.height > 0 && box.right > 0 && box.bottom > 0,
    };
  });
  check(
    focused.tag === 'A' && focused.text === 'Skip to content' && focused.href === '#main',
    `the first Tab focused ${JSON.stringify(focused)}, not the "Skip to content" link`,
  );
  check(focused.visible, '"Skip to content" is focused but not visible on the screen');

  // The other pages, for the accessibility and markup checks.
  step('opening the closed complaints in the queue');
  // The queue is a projection, updated in the background: give it up to 30 s, which a
  // busy 2-core CI machine needs now and then (it usually takes well under one).
  const queueUrl = `${baseUrl}/complaints?status=closed`;
  const queueDeadline = Date.now() + 30_000;
  for (;;) {
    await page.goto(queueUrl);
    if ((await page.locator(`a[href="${complaintPath}"]`).count()) === 1) break;
    check(
      Date.now() < queueDeadline,
      `the closed complaints in the queue do not include ${reference} after 30 s`,
    );
    await page.waitForTimeout(250);
  }
  await checkPage('queue');

  step('opening the company and contact files from the complaint page');
  await page.goto(`${baseUrl}${complaintPath}`);
  const customerCard = page.locator('section[aria-labelledby="customer-heading"]');
  const companyHref = await customerCard.locator('a[href^="/companies/"]').getAttribute('href');
  const contactHref = await customerCard.locator('a[href^="/customers/"]').getAttribute('href');
  await page.goto(`${baseUrl}/companies`);
  check(
    (await page.locator(`a[href="${companyHref}"]`).count()) === 1,
    `/companies does not link to ${companyHref}`,
  );
  await checkPage('companies');
  await page.goto(`${baseUrl}${companyHref}`);
  await checkPage('company-file');
  step('keeping a note in the company file');
  await page.getByLabel('Notes', { exact: true }).fill('Orders kettles in bulk.');
  await submitAndWait(page.getByRole('button', { name: 'Save', exact: true }));
  check(
    new URL(page.url()).pathname === companyHref,
    `saving the company file led to ${page.url()}: ${await alertText()}`,
  );
  await checkPage('company-file-saved');
  await page.goto(`${baseUrl}${contactHref}`);
  await checkPage('contact-file');
  step('keeping a note in the contact file');
  await page.getByLabel('Title or role', { exact: true }).fill('Office manager');
  await submitAndWait(page.getByRole('button', { name: 'Save', exact: true }));
  check(
    new URL(page.url()).pathname === contactHref,
    `saving the contact file led to ${page.url()}: ${await alertText()}`,
  );
  await checkPage('contact-file-saved');
  step('opening /account');
  await page.goto(`${baseUrl}/account`);
  await checkPage('account');

  step('opening the SLA dashboard');
  await page.goto(`${baseUrl}/sla`);
  check(
    (await page.getByRole('heading', { name: 'SLA dashboard', exact: true }).count()) === 1,
    `/sla does not show the dashboard: ${await alertText()}`,
  );
  await checkPage('sla-dashboard');
  step('letting the dashboard refresh itself');
  const live = page.locator('#sla-live');
  const before = await live.getAttribute('data-refreshed');
  await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
  await page.waitForFunction(
    (previous) => document.querySelector('#sla-live').getAttribute('data-refreshed') !== previous,
    before,
    { timeout: 10000 },
  );
  check(
    (await live.locator('[data-count="on_track"]').count()) === 1,
    'the refreshed dashboard lost its counts',
  );
  step('filtering the dashboard by tier (the filter goes in the URL)');
  await page.selectOption('#f-tier', 'key_account');
  await submitAndWait(page.getByRole('button', { name: 'Show', exact: true }));
  check(
    new URL(page.url()).searchParams.get('tier') === 'key_account',
    `the tier filter is not in the URL: ${page.url()}`,
  );
  await checkPage('sla-dashboard-filtered');
  await page.goto(`${baseUrl}/sla/rules`);
  await checkPage('sla-rules');

  step('travelling back in time on the complaint page');
  await page.goto(`${baseUrl}${complaintPath}`);
  const arrived = await page.locator('#tt-at').getAttribute('min');
  // Two seconds after it arrived (the field reads the viewer's local time, here UTC).
  const moment = new Date(Date.parse(`${arrived}Z`) + 2_000).toISOString().slice(0, 19);
  await page.locator('#tt-at').fill(moment);
  await submitAndWait(page.locator('form.time-travel').getByRole('button', { name: 'Show', exact: true }));
  check(
    (await page.getByRole('status').filter({ hasText: 'A view of the past' }).count()) === 1,
    `the complaint page did not travel back: ${page.url()} ${await alertText()}`,
  );
  check(
    (await page.locator('form[action$="/acknowledge"]').count()) === 0,
    'the past view offers actions',
  );
  await checkPage('complaint-past');
  step('travelling back in time on the SLA dashboard');
  await page.goto(`${baseUrl}/sla?at=${encodeURIComponent(new Date(Date.now() - 3_600_000).toISOString())}`);
  check(
    (await page.getByRole('status').filter({ hasText: 'A view of the past' }).count()) === 1,
    `the dashboard did not travel back: ${await alertText()}`,
  );
  await checkPage('sla-dashboard-past');
  step('the reports are for managers');
  expectedStatuses.add('403 GET /reports');
  await page.goto(`${baseUrl}/reports`);
  await checkPage('reports-not-allowed');

  step('opening an address where nothing is');
  expectedStatuses.add('404 GET /no-such-page');
  await page.goto(`${baseUrl}/no-such-page`);
  await checkPage('not-found');
  step('opening /admin/users as an agent');
  expectedStatuses.add('403 GET /admin/users');
  await page.goto(`${baseUrl}/admin/users`);
  await checkPage('not-allowed');
  if (adminEmail && adminPassword) {
    step('signing out');
    await page.goto(`${baseUrl}/complaints`); // the error pages have no header to sign out from
    await submitAndWait(page.getByRole('button', { name: 'Sign out', exact: true }));
    check(
      new URL(page.url()).pathname === '/sign-in',
      `signing out led to ${page.url()}, not to /sign-in`,
    );
    step('signing in as an admin');
    await signIn(adminEmail, adminPassword);
    await page.goto(`${baseUrl}/admin/users`);
    check(
      (await page.getByRole('heading', { name: 'Staff accounts', exact: true }).count()) === 1,
      `/admin/users does not show the staff accounts: ${await alertText()}`,
    );
    await checkPage('staff-accounts');
    await page.goto(`${baseUrl}/admin/mail`);
    await checkPage('customer-emails');
    step('reading the email intake page');
    await page.goto(`${baseUrl}/admin/intake`);
    check(
      (await page.getByRole('cell', { name: 'quarantined', exact: true }).count()) === 1,
      `/admin/intake does not list the quarantined message: ${await alertText()}`,
    );
    await checkPage('email-intake');
    if (emailComplaint && originalPath) {
      step('opening a complaint that came by email, and its original');
      await page.goto(`${baseUrl}${emailComplaint}`);
      check(
        (await page.getByRole('link', { name: 'poza.png', exact: true }).count()) === 1,
        `${emailComplaint} does not offer the file kept from the email: ${await alertText()}`,
      );
      await checkPage('complaint-by-email');
      await page.goto(`${baseUrl}${originalPath}`);
      check(
        (await page.getByRole('heading', { name: 'The email as it arrived', exact: true }).count()) === 1,
        `${originalPath} does not show the email: ${await alertText()}`,
      );
      await checkPage('email-original');
    }
    step('reading the audit trail and the retention page');
    await page.goto(`${baseUrl}/admin/audit`);
    check(
      (await page.getByRole('cell', { name: 'Signed in', exact: true }).count()) > 0,
      `/admin/audit does not list the sign-ins: ${await alertText()}`,
    );
    await checkPage('audit-trail');
    await page.goto(`${baseUrl}/admin/retention`);
    await checkPage('retention');
    if (customerPath) {
      step('exporting a customer\'s data, and opening the erasure confirmation');
      await page.goto(`${baseUrl}${customerPath}/export`);
      await checkPage('customer-export');
      await page.goto(`${baseUrl}${customerPath}/erase`);
      check(
        (await page.getByRole('button', { name: 'Erase for good', exact: true }).count()) === 1,
        `${customerPath}/erase does not ask for confirmation: ${await alertText()}`,
      );
      await checkPage('customer-erase');
    }
    step('choosing the FCA preset as the SLA policy');
    await page.goto(`${baseUrl}/admin/sla`);
    await checkPage('sla-policy');
    await submitAndWait(page.getByRole('button', { name: 'Use UK FCA DISP', exact: true }));
    check(
      (await page.getByRole('status').filter({ hasText: 'Saved as version 2' }).count()) === 1,
      `the preset was not saved: ${await alertText()}`,
    );
    await checkPage('sla-policy-saved');
    step('reading the reports');
    await page.goto(`${baseUrl}/reports`);
    check(
      (await page.locator('svg[role="img"]').count()) > 0,
      `/reports shows no chart: ${await alertText()}`,
    );
    await checkPage('reports');
    await page.selectOption('#r-by', 'owner');
    await page.selectOption('#r-group', 'month');
    await submitAndWait(page.getByRole('button', { name: 'Show', exact: true }));
    check(
      new URL(page.url()).searchParams.get('by') === 'owner',
      `the breakdown is not in the URL: ${page.url()}`,
    );
    await checkPage('reports-by-owner');
    for (const [path, name] of [
      ['/reports/feedback', 'reports-feedback'],
      ['/reports/customers', 'reports-customers'],
      ['/reports/fca', 'reports-fca'],
    ]) {
      await page.goto(`${baseUrl}${path}`);
      await checkPage(name);
    }
  } else {
    console.log('(no REDRESS_E2E_ADMIN_EMAIL/_PASSWORD: the staff accounts page is not checked)');
  }

  check(problems.length === 0, `the browser saw problems:\n  ${problems.join('\n  ')}`);
  step(`checked ${pagesChecked.length} pages with axe-core`);
  const report = axeReport();
  check(!report, report);
  step('done');
}

/** Fills in the sign-in form on the page and sends it. */
async function signIn(address, secret) {
  await page.getByLabel('Email address', { exact: true }).fill(address);
  await page.getByLabel('Password', { exact: true }).fill(secret);
  await submitAndWait(page.getByRole('button', { name: 'Sign in', exact: true }));
}

/**
 * Checks the page now shown: saves the server's HTML of it to PAGES/NN-name.html (for the
 * Nu HTML Checker) and runs axe-core on it, with every closed `<details>` opened so that the
 * forms inside are checked too (and closed again afterwards).
 */
async function checkPage(name) {
  const url = page.url();
  const shown = url.replace(/#.*$/, '');
  check(
    lastDocument && lastDocument.url().replace(/#.*$/, '') === shown,
    `no document response for ${url} (last: ${lastDocument?.url()})`,
  );
  const html = await lastDocument.text();
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
function actionDetails(labelText) {
  return page
    .locator('details.action')
    .filter({ has: page.locator('summary', { hasText: exactly(labelText) }) });
}

/** Opens the action's `<details>`, fills its form, submits it and waits for the page again. */
async function act(complaintPath, labelText, fill) {
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
  const now = new URL(page.url()).pathname;
  check(
    now === complaintPath,
    `after "${labelText}" the browser is on ${page.url()}, not back on the complaint: ${await alertText()}`,
  );
  const errors = await page.locator('.error[role=alert]').allInnerTexts();
  check(errors.length === 0, `after "${labelText}" the page shows errors: ${errors.join('; ')}`);
  await checkPage(`complaint-after-${slug(labelText)}`);
}

/** "Record a fact" → "record-a-fact". */
function slug(text) {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

/** Clicks something that navigates and waits until the new page has loaded. */
async function submitAndWait(target) {
  // Together, so that a failed click does not leave the wait to fail unhandled later.
  await Promise.all([
    page.waitForEvent('framenavigated', (f) => f === page.mainFrame()),
    target.click(),
  ]);
  await page.waitForLoadState('load');
}

/** Fills a date input with today's date (or its `min`, if that is later). */
async function fillDate(input) {
  const min = (await input.getAttribute('min')) ?? '';
  const today = todayUtc();
  await input.fill(min > today ? min : today);
}

/** The text of any alert on the page, for failure messages. */
async function alertText() {
  const alerts = await page
    .locator('[role=alert]')
    .allInnerTexts()
    .catch(() => []);
  return alerts.length ? alerts.join('; ') : '(no alert on the page)';
}

const watchdog = setTimeout(() => {
  console.error(`FAILED: gave up after ${deadlineMs} ms while ${doing}`);
  process.exit(1);
}, deadlineMs);

let exitCode = 0;
try {
  await main();
  console.log(`ok: screenshot saved to ${screenshot}`);
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
