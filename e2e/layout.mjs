#!/usr/bin/env node
// Layout in headless Chromium, on the demo data, measured rather than looked at:
// - a complaint's SLA clocks fit their box at 1280 px and read as labelled lines at 375 px;
// - the SLA policy editor's fields show their whole value, each day's hours on one row, and
//   the first version does not claim to be from 1970;
// - the SLA dashboard lists the most urgent few, row headers in normal case, with a link to
//   the rest in the queue;
// - every chart on /reports keeps its texts inside the picture and apart from each other and
//   from the data points, its axis labels under their bars, whole numbers on count axes;
// - refusals keep the header and navigation; destructive buttons are red;
// - right after an erasure, the contact file shown holds nothing of the customer.
// Every page is checked with axe-core and saved for the Nu HTML Checker (see harness.mjs).
//
// Usage: node e2e/layout.mjs BASE_URL, with the environment:
//   REDRESS_E2E_PASSWORD, REDRESS_E2E_ADMIN: the admin's sign-in;
//   REDRESS_E2E_COMPLAINT: an open complaint's page; REDRESS_E2E_CUSTOMER: its customer's
//   contact file; REDRESS_E2E_CUSTOMER_EMAIL, REDRESS_E2E_CUSTOMER_NAME: theirs;
//   REDRESS_E2E_SURVEY: a periodic survey's page; REDRESS_E2E_DIR: where failure.png goes; REDRESS_E2E_PAGES: where the pages' HTML goes.
// Prints "charts: N" (how many charts were measured).
//
// crates/redress/tests/api/layout_browser.rs loads the demo data and runs it.

import { join } from 'node:path';
import {
  check,
  checkPage,
  expectedStatuses,
  openPage,
  page,
  run,
  signIn,
  step,
  submitAndWait,
} from './harness.mjs';

const env = (name) => {
  const value = process.env[name];
  if (!value) {
    console.error(`usage: node e2e/layout.mjs BASE_URL (${name} is not set)`);
    process.exit(2);
  }
  return value;
};
const baseUrl = (process.argv[2] ?? '').replace(/\/+$/, '');
if (!baseUrl) {
  console.error('usage: node e2e/layout.mjs BASE_URL');
  process.exit(2);
}
const password = env('REDRESS_E2E_PASSWORD');
const admin = env('REDRESS_E2E_ADMIN');
const complaintPath = env('REDRESS_E2E_COMPLAINT');
const customerPath = env('REDRESS_E2E_CUSTOMER');
const customerEmail = env('REDRESS_E2E_CUSTOMER_EMAIL');
const customerName = env('REDRESS_E2E_CUSTOMER_NAME');
const surveyPath = env('REDRESS_E2E_SURVEY');
const dir = env('REDRESS_E2E_DIR');

/** The SLA clock table's overflow and its cells' boxes, measured in the page. */
async function clockTable() {
  return page.evaluate(() => {
    const scroll = document.querySelector('#sla .table-scroll');
    const table = scroll.querySelector('table');
    const card = document.querySelector('#sla');
    const cells = [...table.querySelectorAll('tbody td, tbody th')].map((c) => {
      const r = c.getBoundingClientRect();
      return { left: r.left, right: r.right, text: c.textContent.trim().slice(0, 30) };
    });
    return {
      overflow: scroll.scrollWidth - scroll.clientWidth,
      tableRight: table.getBoundingClientRect().right,
      cardRight: card.getBoundingClientRect().right,
      viewport: window.innerWidth,
      cells,
      labelled: [...table.querySelectorAll('td[data-label]')].length,
      headHidden: getComputedStyle(table.querySelector('thead')).position === 'absolute',
    };
  });
}

async function main() {
  const staff = await openPage();
  step('signing in as the admin');
  await staff.goto(`${baseUrl}/sign-in`);
  await signIn(admin, password);

  // Item 1: the complaint page's SLA clocks at 1280 px, then at 375 px.
  step('measuring the SLA clocks at 1280 px');
  await staff.goto(`${baseUrl}${complaintPath}`);
  let t = await clockTable();
  check(t.overflow <= 1, `the SLA clock table scrolls sideways by ${t.overflow} px at 1280 px`);
  check(
    t.tableRight <= t.cardRight + 1,
    `the SLA clock table ends at ${t.tableRight}, past its box (${t.cardRight})`,
  );
  await checkPage('complaint-1280');
  step('measuring the SLA clocks at 375 px');
  await staff.setViewportSize({ width: 375, height: 800 });
  await staff.reload();
  t = await clockTable();
  check(t.overflow <= 1, `the SLA clock table scrolls sideways by ${t.overflow} px at 375 px`);
  check(t.headHidden && t.labelled > 0, 'at 375 px the clocks are not labelled lines');
  for (const c of t.cells) {
    check(
      c.left >= -1 && c.right <= t.viewport + 1,
      `at 375 px the cell "${c.text}" spans ${c.left}–${c.right}, outside the screen`,
    );
  }
  await staff.setViewportSize({ width: 1280, height: 900 });

  // Item 11: the SLA policy editor.
  step('measuring the SLA policy editor');
  await staff.goto(`${baseUrl}/admin/sla`);
  const editor = await staff.evaluate(() => {
    const cut = [...document.querySelectorAll('form input:not([type=hidden])')]
      .filter((i) => i.value && i.scrollWidth > i.clientWidth + 1)
      .map((i) => `${i.name}="${i.value}" (${i.scrollWidth} > ${i.clientWidth})`);
    const rows = [...document.querySelectorAll('fieldset.hours input')].map((input) => {
      const label = document.querySelector(`label[for="${input.id}"]`);
      const i = input.getBoundingClientRect();
      const l = label.getBoundingClientRect();
      return { day: label.textContent, inputTop: i.top, labelTop: l.top, left: i.left, height: i.height };
    });
    const versions = document.querySelector('#versions-heading').parentElement.textContent;
    return { cut, rows, versions };
  });
  check(editor.cut.length === 0, `the editor cuts values short: ${editor.cut.join('; ')}`);
  check(editor.rows.length === 7, `${editor.rows.length} days of working hours, not 7`);
  for (const r of editor.rows) {
    check(
      Math.abs(r.inputTop - r.labelTop) < r.height,
      `${r.day}'s hours are not on its label's row (${r.labelTop} / ${r.inputTop})`,
    );
    check(
      Math.abs(r.left - editor.rows[0].left) < 1,
      `${r.day}'s hours start at ${r.left}, not under Monday's (${editor.rows[0].left})`,
    );
  }
  check(!editor.versions.includes('1970'), `a version claims to be from 1970: ${editor.versions}`);
  await checkPage('sla-editor');

  // Item 16: a preset asks first, and the confirming button looks destructive.
  step('choosing a preset');
  await submitAndWait(staff.getByRole('button', { name: 'Use US CFPB…', exact: true }));
  const confirm = staff.getByRole('button', { name: 'Replace the policy with US CFPB', exact: true });
  check((await confirm.count()) === 1, 'choosing a preset did not ask for confirmation');
  const red = await confirm.evaluate((b) => getComputedStyle(b).backgroundColor);
  check(red === 'rgb(179, 38, 30)', `the confirming button is ${red}, not red`);
  await checkPage('sla-preset-confirm');
  step('keeping the current policy');
  await submitAndWait(staff.getByRole('link', { name: 'Keep the current policy', exact: true }));

  // Item 6: the SLA dashboard.
  step('measuring the SLA dashboard');
  await staff.goto(`${baseUrl}/sla`);
  const dashboard = await staff.evaluate(() => ({
    rows: [...document.querySelectorAll('section.card tbody')].map(
      (b) => b.querySelectorAll('tr[data-reference]').length,
    ),
    transform: [...document.querySelectorAll('tbody th[scope=row]')].map(
      (th) => getComputedStyle(th).textTransform,
    ),
    height: document.documentElement.scrollHeight,
    queue: [...document.querySelectorAll('p.more a')].map((a) => a.getAttribute('href')),
  }));
  check(
    dashboard.rows.every((n) => n <= 10),
    `a dashboard list shows more than ten lines: ${dashboard.rows}`,
  );
  check(
    dashboard.transform.every((t) => t === 'none'),
    `row headers are transformed: ${[...new Set(dashboard.transform)]}`,
  );
  check(dashboard.height < 4500, `the dashboard is ${dashboard.height} px tall`);
  await checkPage('sla-dashboard');
  if (dashboard.queue.length > 0) {
    step('following a list to the rest, in the queue');
    await submitAndWait(staff.locator('p.more a').first());
    check(
      new URL(staff.url()).searchParams.get('sla') !== null,
      `the link led to ${staff.url()}`,
    );
    await checkPage('queue-sla');
  }

  // Item 5: the charts, at 1280 px.
  step('measuring the charts on /reports');
  await staff.goto(`${baseUrl}/reports`);
  const charts = await staff.evaluate(() =>
    [...document.querySelectorAll('svg.chart')].map((svg) => {
      const box = svg.getBoundingClientRect();
      const texts = [...svg.querySelectorAll('text')]
        .filter((t) => t.textContent.trim() !== '')
        .map((t) => {
          const r = t.getBoundingClientRect();
          return { text: t.textContent.trim(), left: r.left, right: r.right, top: r.top, bottom: r.bottom };
        });
      const points = [...svg.querySelectorAll('circle')].map((c) => c.getBoundingClientRect());
      const bars = [...svg.querySelectorAll('rect')]
        .map((r) => r.getBoundingClientRect())
        .filter((r) => r.width > 0 && r.width < box.width / 2 && r.top > box.top + 30);
      return {
        label: svg.getAttribute('aria-label'),
        box: { left: box.left, right: box.right, top: box.top, bottom: box.bottom },
        texts,
        points: points.map((p) => ({ left: p.left, right: p.right, top: p.top, bottom: p.bottom })),
        bars: bars.map((b) => ({ left: b.left, right: b.right })),
      };
    }),
  );
  check(charts.length >= 4, `only ${charts.length} charts on /reports`);
  const overlap = (a, b) =>
    a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
  for (const c of charts) {
    for (const t of c.texts) {
      check(
        t.left >= c.box.left - 1 && t.right <= c.box.right + 1 && t.top >= c.box.top - 1 && t.bottom <= c.box.bottom + 1,
        `"${c.label}": the text "${t.text}" is cut by the picture's edge`,
      );
      for (const p of c.points) {
        check(!overlap(t, p), `"${c.label}": the text "${t.text}" covers a data point`);
      }
    }
    for (let i = 0; i < c.texts.length; i += 1) {
      for (let j = i + 1; j < c.texts.length; j += 1) {
        check(
          !overlap(c.texts[i], c.texts[j]),
          `"${c.label}": "${c.texts[i].text}" and "${c.texts[j].text}" run into each other`,
        );
      }
    }
    // Counts are whole: no "0.5 complaints" on a bar chart's axis.
    if (c.bars.length > 0) {
      const fractions = c.texts.filter((t) => /^\d+\.\d+$/.test(t.text));
      check(fractions.length === 0, `"${c.label}": fractional ticks ${fractions.map((f) => f.text)}`);
    }
  }
  // The backlog's bars sit over their labels.
  const backlog = charts.find((c) => c.label === 'Open complaints by age');
  check(backlog, `no backlog chart among ${charts.map((c) => c.label)}`);
  const bottomLabels = backlog.texts.filter((t) => t.top > backlog.box.bottom - 45 && /\d/.test(t.text));
  check(bottomLabels.length >= 3, `the backlog chart has ${bottomLabels.length} bucket labels`);
  for (const l of bottomLabels) {
    const centre = (l.left + l.right) / 2;
    check(
      backlog.bars.some((b) => Math.abs((b.left + b.right) / 2 - centre) < 4),
      `the backlog label "${l.text}" (centre ${centre}) is under no bar: ${JSON.stringify(backlog.bars)}`,
    );
  }
  console.log(`charts: ${charts.length}`);
  await checkPage('reports');

  // Item 16: a refusal keeps the header and navigation.
  step('opening a complaint that does not exist');
  expectedStatuses.add('404 GET /complaints/RDR-0000-0000');
  await staff.goto(`${baseUrl}/complaints/RDR-0000-0000`);
  check(
    (await staff.getByRole('navigation', { name: 'Main' }).count()) === 1,
    'the 404 page has no navigation',
  );
  await checkPage('not-found');

  // The API's page (drawn from the OpenAPI document) and the webhooks page.
  step('reading the API page');
  await staff.goto(`${baseUrl}/api/docs`);
  check(
    (await staff.getByRole('heading', { level: 1 }).textContent()).includes('Redress API'),
    'the API page has no title',
  );
  await checkPage('api-docs');
  step('registering a webhook endpoint');
  await staff.goto(`${baseUrl}/admin/webhooks`);
  await staff.getByLabel('Endpoint address').fill('https://crm.example.com/hooks/redress');
  await submitAndWait(staff.getByRole('button', { name: 'Register the endpoint', exact: true }));
  check(
    (await staff.locator('code.token').textContent()).startsWith('whsec_'),
    'the new endpoint\'s secret is not shown',
  );
  await checkPage('webhooks');
  step('setting the periodic surveys\' rules');
  await staff.goto(`${baseUrl}/admin/surveys`);
  await staff.getByLabel('Every contact, every this many months').fill('6');
  await submitAndWait(staff.getByRole('button', { name: 'Save the rules', exact: true }));
  check(
    (await staff.locator('p.notice').textContent()).includes('The rules are saved'),
    'the survey rules were not saved',
  );
  await checkPage('admin-surveys');

  // The root causes, their corrective actions and their report.
  step('reading the root causes, the corrective actions and the causes report');
  for (const [path, name] of [
    ['/causes', 'causes'],
    ['/causes/actions', 'corrective-actions'],
    ['/reports/causes', 'reports-causes'],
    ['/reports/loyalty', 'reports-loyalty'],
    ['/companies/key-accounts', 'key-accounts'],
  ]) {
    await staff.goto(`${baseUrl}${path}`);
    check(
      (await staff.getByRole('heading', { level: 1 }).count()) === 1,
      `${path} has no title`,
    );
    await checkPage(name);
  }

  // A key account's file: its owner, its meetings and the form to record one.
  step('opening a key account at risk');
  await staff.goto(`${baseUrl}/companies/key-accounts`);
  await staff.getByRole('link', { name: '华南电子有限公司' }).click();
  await staff.waitForLoadState();
  check(
    (await staff.getByRole('heading', { name: 'Meetings and calls' }).count()) === 1,
    'the company file has no meetings',
  );
  await checkPage('company-file');

  // A periodic survey's page and its stop page, as the contact sees them.
  step('reading a periodic survey');
  await staff.goto(`${baseUrl}${surveyPath}`);
  check((await staff.locator('input[name="score"]').count()) === 5, 'the survey has no scores');
  await checkPage('survey');
  await staff.goto(`${baseUrl}${surveyPath}/stop`);
  check((await staff.locator('form button').count()) === 1, 'the stop page has no button');
  await checkPage('survey-stop');

  // Item 10 (and 16): the erasure, and the page right after it.
  step('erasing the customer');
  await staff.goto(`${baseUrl}${customerPath}/erase`);
  const erase = staff.getByRole('button', { name: 'Erase for good', exact: true });
  const colour = await erase.evaluate((b) => getComputedStyle(b).backgroundColor);
  check(colour === 'rgb(179, 38, 30)', `"Erase for good" is ${colour}, not red`);
  await checkPage('erase');
  await staff.getByLabel("Type the customer's email address to confirm").fill(customerEmail);
  await submitAndWait(erase);
  const after = await staff.locator('main').textContent();
  for (const gone of [customerName, customerEmail, 'Erase their personal data']) {
    check(!after.includes(gone), `right after the erasure the page still shows "${gone}"`);
  }
  await checkPage('erased');
}

await run(main, { pages: env('REDRESS_E2E_PAGES'), failureShot: join(dir, 'failure.png') });
