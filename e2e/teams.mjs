#!/usr/bin/env node
// End-to-end check of working as a team in headless Chromium:
// - an admin creates two teams (one giving out work round robin, with two members) and a
//   routing rule (Spanish-speaking customers → that team);
// - a Spanish-speaking customer complains on the public form: the complaint lands in the team
//   and is given to its first member by round robin;
// - that agent sees it under "My teams" (the queue's default), tags it, and opens the reply
//   form with the keyboard (r);
// - the agent ticks three complaints in the queue and assigns them to a colleague at once;
// - the agent merges a duplicate into the customer's first complaint.
// Every page is checked with axe-core and saved for the Nu HTML Checker (see harness.mjs).
//
// Usage: node e2e/teams.mjs BASE_URL, with the environment:
//   REDRESS_E2E_PASSWORD: the password of the three accounts;
//   REDRESS_E2E_ADMIN, REDRESS_E2E_AGENT, REDRESS_E2E_COLLEAGUE: their email addresses;
//   REDRESS_E2E_AGENT_NAME, REDRESS_E2E_COLLEAGUE_NAME: the two agents' names;
//   REDRESS_E2E_BULK: three complaint references, comma-separated, to assign in bulk;
//   REDRESS_E2E_DUPLICATE: a complaint to merge, REDRESS_E2E_SURVIVOR: the one it duplicates;
//   REDRESS_E2E_DIR: where failure.png goes; REDRESS_E2E_PAGES: where the pages' HTML goes.
// Prints "filed: RDR-…" (the public form's complaint).
//
// crates/redress/tests/api/teams_browser.rs prepares all this, runs the script on both
// databases and then reads the email the merged duplicate's customer was sent.

import { join } from 'node:path';
import {
  act,
  alertText,
  check,
  checkPage,
  openPage,
  openUntil,
  page,
  run,
  signIn,
  signOut,
  step,
  submitAndWait,
  usePage,
} from './harness.mjs';

const env = (name) => {
  const value = process.env[name];
  if (!value) {
    console.error(`usage: node e2e/teams.mjs BASE_URL (${name} is not set)`);
    process.exit(2);
  }
  return value;
};
const baseUrl = (process.argv[2] ?? '').replace(/\/+$/, '');
if (!baseUrl) {
  console.error('usage: node e2e/teams.mjs BASE_URL');
  process.exit(2);
}
const password = env('REDRESS_E2E_PASSWORD');
const admin = env('REDRESS_E2E_ADMIN');
const agent = env('REDRESS_E2E_AGENT');
const agentName = env('REDRESS_E2E_AGENT_NAME');
const colleagueName = env('REDRESS_E2E_COLLEAGUE_NAME');
const bulk = env('REDRESS_E2E_BULK').split(',');
const duplicate = env('REDRESS_E2E_DUPLICATE');
const survivor = env('REDRESS_E2E_SURVIVOR');
const dir = env('REDRESS_E2E_DIR');

async function main() {
  const staff = await openPage();

  step('the admin creates two teams');
  await staff.goto(`${baseUrl}/sign-in`);
  await signIn(admin, password);
  await staff.goto(`${baseUrl}/teams`);
  await checkPage('teams');
  for (const [name, assignment] of [
    ['Atención en español', 'Round robin'],
    ['Delivery', 'By hand'],
  ]) {
    await staff.getByLabel('Name', { exact: true }).fill(name);
    await staff.getByLabel('Gives out new complaints', { exact: true }).selectOption({ label: assignment });
    await submitAndWait(staff.getByRole('button', { name: 'Create the team', exact: true }));
    check(
      (await staff.locator('h1').innerText()).trim() === name,
      `creating ${name} did not open its page: ${await alertText()}`,
    );
    if (name === 'Atención en español') {
      step('the admin puts the two agents in the Spanish team');
      await checkPage('team-edit');
      await staff.getByLabel(agentName, { exact: true }).selectOption('member');
      await staff.getByLabel(colleagueName, { exact: true }).selectOption('member');
      await submitAndWait(staff.getByRole('button', { name: 'Save the team', exact: true }));
    } else {
      await staff.goto(`${baseUrl}/teams`);
    }
  }
  step('the admin routes Spanish-speaking customers to the Spanish team');
  await staff.goto(`${baseUrl}/teams`);
  await staff.getByLabel('When', { exact: true }).selectOption({ label: 'Language' });
  await staff.getByLabel('is', { exact: true }).fill('es');
  await staff.getByLabel('route to', { exact: true }).selectOption({ label: 'Atención en español' });
  await submitAndWait(staff.getByRole('button', { name: 'Add the rule', exact: true }));
  const rules = await staff.locator('ol.rules').innerText();
  check(rules.includes('Language is es → Atención en español'), `the rule is not listed: ${rules}`);
  await checkPage('teams-with-rule');
  await signOut(baseUrl);

  step('a Spanish-speaking customer complains on the public form');
  const customer = await openPage({ locale: 'es-ES' });
  await customer.goto(`${baseUrl}/complain`);
  await customer.locator('#name').fill('Lucía Gómez');
  await customer.locator('#email').fill('lucia.gomez@example.es');
  await customer.locator('#category').selectOption({ index: 1 });
  await customer.locator('#summary').fill('Cobro duplicado');
  await customer.locator('#description').fill('Me cobraron dos veces el mismo pedido.');
  await customer.locator('#language').selectOption('es');
  await submitAndWait(customer.locator('form button[type=submit]').last());
  const filed = (await customer.locator('p.reference code').innerText()).trim();
  check(/^RDR-/.test(filed), `the public form gave no reference: ${await alertText()}`);
  await checkPage('public-thanks');

  step('the first agent of the team finds it under "My teams", given to them by round robin');
  usePage(staff);
  await signIn(agent, password);
  await openUntil(
    `${baseUrl}/complaints`,
    async () => (await staff.locator(`tr[data-complaint="${filed}"]`).count()) === 1,
    'the public complaint in the agent\'s teams',
  );
  const chosenTeam = await staff.locator('#filter-team').inputValue();
  check(chosenTeam === 'mine', `the queue's team filter is ${chosenTeam}, not "My teams"`);
  const row = await staff.locator(`tr[data-complaint="${filed}"]`).innerText();
  check(
    row.includes(agentName) && row.includes('Atención en español'),
    `the complaint is not the agent's, in the Spanish team: ${row}`,
  );
  await checkPage('queue-my-teams');

  step('the agent tags it');
  const complaintPath = `/complaints/${filed}`;
  await staff.goto(`${baseUrl}${complaintPath}`);
  await act(complaintPath, 'Add a tag', async (form) => {
    await form.getByLabel('Tag', { exact: true }).fill('Doble cobro');
  });
  const tags = await staff.locator('dd[data-tags]').innerText();
  check(tags.includes('doble cobro'), `the tag is not shown: ${tags}`);

  step('r opens the reply form');
  const focused = () => staff.evaluate(() => document.activeElement?.id ?? '');
  await staff.keyboard.press('r');
  check((await focused()) === 'reply-message', `r does not open the reply (focus on ${await focused()})`);

  step('the agent assigns three complaints to a colleague at once');
  await staff.goto(`${baseUrl}/complaints?team=all`);
  for (const reference of bulk) {
    await staff.locator(`#pick-${reference}`).check();
  }
  await staff.locator('#bulk-action').selectOption('assign');
  await staff.locator('#bulk-owner').selectOption({ label: colleagueName });
  await checkPage('queue-bulk-ticked');
  await submitAndWait(staff.getByRole('button', { name: 'Apply', exact: true }));
  const summary = (await staff.locator('#bulk-summary').innerText()).trim();
  check(summary === 'Done on 3 complaints.', `the bulk action says: ${summary}`);
  await checkPage('bulk-done');

  step('the agent merges a duplicate');
  const duplicatePath = `/complaints/${duplicate}`;
  await staff.goto(`${baseUrl}${duplicatePath}`);
  await act(duplicatePath, 'Merge into another complaint (a duplicate)', async (form) => {
    await form.getByLabel('The complaint to merge it into (its reference)', { exact: true }).fill(survivor);
  });
  const merged = await staff.locator('dd[data-merged-into]').innerText();
  check(merged.includes(survivor), `the duplicate does not say where it went: ${merged}`);
  await staff.goto(`${baseUrl}/complaints/${survivor}`);
  await openUntil(
    `${baseUrl}/complaints/${survivor}`,
    async () => (await staff.locator(`#duplicate-${duplicate}`).count()) === 1,
    'the duplicate\'s words on the survivor',
  );
  await checkPage('survivor-with-duplicate');

  step('the agent chooses Spanish on /account and reads the staff pages in it');
  await staff.goto(`${baseUrl}/account`);
  await staff.getByLabel('Read Redress in', { exact: true }).selectOption('es');
  await submitAndWait(staff.locator('form[action="/account"] button[type="submit"]'));
  await staff.goto(`${baseUrl}/complaints`);
  const lang = await staff.locator('html').getAttribute('lang');
  check(lang === 'es', `the queue's lang is ${lang}, not es`);
  const heading = (await staff.getByRole('heading', { level: 1 }).innerText()).trim();
  check(heading === 'Reclamaciones', `the queue's heading reads "${heading}"`);
  await staff.getByRole('link', { name: 'Etiquetas', exact: true }).waitFor();
  await checkPage('queue-in-spanish');

  console.log(`filed: ${filed}`);
  check(page === staff, 'the script ends on the staff page');
}

await run(main, { pages: env('REDRESS_E2E_PAGES'), failureShot: join(dir, 'failure.png') });
