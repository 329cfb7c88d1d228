#!/usr/bin/env node
// End-to-end check of Redress in headless Chromium: an agent signs in, takes a complaint by
// phone, works it through the six steps (recording the points of complaint and deciding each
// of them) to resolution and closure, and the complaint page shows all six steps done, the
// whole timeline and the "Reopen" action.
//
// Every page it sees (sign-in, the queue, the intake form, the complaint page at each stage,
// refused forms, the company and contact files, the account page, error pages and, with an
// admin account, the staff accounts page) is checked with axe-core against WCAG 2 A and AA,
// and the server's HTML of each is saved as PAGES/NN-name.html for the Nu HTML Checker
// (browser.rs runs vnu.jar on them in one batch). See harness.mjs for what is shared.
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
//
// On success: saves a full-page screenshot of the complaint page, prints
// "complaint: RDR-…" and exits 0. On failure (including any axe-core violation): prints what
// failed, saves failure.png next to the screenshot and exits 1.
//
// The accounts must exist already (crates/redress/tests/api/browser.rs creates them).

import { dirname, join, resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import {
  act,
  actionDetails,
  alertText,
  check,
  checkPage,
  expectedStatuses,
  fillDate,
  openPage,
  openUntil,
  run,
  signIn,
  signOut,
  step,
  submitAndWait,
} from './harness.mjs';

const [argBase, argEmail, argPassword, argShot] = process.argv.slice(2);
const baseUrl = (argBase ?? process.env.REDRESS_E2E_BASE_URL ?? '').replace(/\/+$/, '');
const email = argEmail ?? process.env.REDRESS_E2E_EMAIL;
const password = argPassword ?? process.env.REDRESS_E2E_PASSWORD;
const screenshot = resolve(
  argShot ?? process.env.REDRESS_E2E_SCREENSHOT ?? 'target/e2e/complaint-page.png',
);
const pagesDir = resolve(process.env.REDRESS_E2E_PAGES ?? join(dirname(screenshot), 'pages'));
const adminEmail = process.env.REDRESS_E2E_ADMIN_EMAIL;
const adminPassword = process.env.REDRESS_E2E_ADMIN_PASSWORD;
const statusPath = process.env.REDRESS_E2E_STATUS_PATH;
const emailComplaint = process.env.REDRESS_E2E_EMAIL_COMPLAINT;
const originalPath = process.env.REDRESS_E2E_ORIGINAL_PATH;
const customerPath = process.env.REDRESS_E2E_CUSTOMER;

if (!baseUrl || !email || !password) {
  console.error('usage: node e2e/six_steps.mjs BASE_URL EMAIL PASSWORD [SCREENSHOT]');
  process.exit(2);
}

async function main() {
  const page = await openPage();

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
      (await page.getByRole('heading', { name: 'Añadir algo', exact: true }).count()) === 1 &&
        (await page.getAttribute('html', 'lang')) === 'es',
      `the status page ${statusPath} of a Spanish customer does not offer, in Spanish, to add ` +
        `something: ${await alertText()}`,
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
  await label('Category').selectOption({ label: 'Billing' });
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
  await act(complaintPath, 'Record the points of complaint', async (form) => {
    await form
      .getByLabel('What we understood the customer to complain about: one short statement a line', {
        exact: true,
      })
      .fill('We charged the card twice for one kettle\nNobody answered the first email');
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
    // Each point decided; the complaint's outcome (partly upheld) follows from them.
    const first = form.getByRole('group', { name: /^Point 1:/ });
    await first.getByLabel('Upheld', { exact: true }).check();
    await first
      .getByLabel('Why (for the customer)', { exact: true })
      .fill('Our checkout retried the payment.');
    const second = form.getByRole('group', { name: /^Point 2:/ });
    await second.getByLabel('Not upheld', { exact: true }).check();
    await second
      .getByLabel('Why (for the customer)', { exact: true })
      .fill('We answered your first email within the hour.');
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
  // Without the "Staff only" badge of what the customer never sees.
  const titles = (await page.locator('#timeline ol.timeline > li > h3').allInnerTexts()).map((t) =>
    t.replace(/\s*Staff only\s*$/, '').trim(),
  );
  const expected = [
    'Complaint received (Phone)',
    'Step 1 · Acknowledged with an apology',
    'What the customer told us (Phone)',
    'Step 2 · Points of complaint',
    'Step 3 · Fact established',
    'Step 3 · Investigation concluded',
    'Step 4 · Committed to an action',
    `Step 5 · ${ownerName} is responsible`,
    'Step 6 · Progress update sent',
    'Resolved: partly upheld',
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
  check(status === 'Closed', `the status says "${status}", not "Closed"`);
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
  // The queue is a projection, updated in the background.
  await openUntil(
    `${baseUrl}/complaints?status=closed`,
    async () => (await page.locator(`a[href="${complaintPath}"]`).count()) === 1,
    `the closed complaints in the queue include ${reference}`,
  );
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
  step('opening the password page from /account');
  await submitAndWait(page.getByRole('link', { name: 'Change your password', exact: true }));
  await checkPage('account-password');

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
  step('opening the live part the dashboard refreshes from (a document of its own)');
  await page.goto(`${baseUrl}/sla?partial=1`);
  check(
    (await page.getAttribute('html', 'lang')) === 'en' && (await page.title()).length > 0,
    `the live part has no language or title: ${await page.title()}`,
  );
  await checkPage('sla-live-part');
  await page.goto(`${baseUrl}/sla`);
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
    await signOut(baseUrl);
    step('signing in as an admin');
    await signIn(adminEmail, adminPassword);
    await page.goto(`${baseUrl}/admin/users`);
    check(
      (await page.getByRole('heading', { name: 'Staff accounts', exact: true }).count()) === 1,
      `/admin/users does not show the staff accounts: ${await alertText()}`,
    );
    await checkPage('staff-accounts');
    step('opening the temporary-password page of a colleague');
    await submitAndWait(page.getByRole('link', { name: /^Set a temporary password/ }).first());
    check(
      /\/admin\/users\/[0-9a-f-]+\/password$/.test(new URL(page.url()).pathname),
      `"Set a temporary password" led to ${page.url()}`,
    );
    await checkPage('staff-temporary-password');
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
    await submitAndWait(page.getByRole('button', { name: 'Use UK FCA DISP…', exact: true }));
    // It replaces the whole policy: asked first, then confirmed.
    await checkPage('sla-policy-confirm');
    await submitAndWait(
      page.getByRole('button', { name: 'Replace the policy with UK FCA DISP', exact: true }),
    );
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

}

await run(main, { pages: pagesDir, failureShot: join(dirname(screenshot), 'failure.png') });
