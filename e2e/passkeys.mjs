#!/usr/bin/env node
// End-to-end check of passkeys in headless Chromium, with Chromium's virtual authenticator
// (the DevTools protocol's WebAuthn domain: a platform authenticator that keeps discoverable
// credentials and verifies the user):
// - a person with a password and a second factor signs in with both, adds a passkey on
//   /account and sees it listed;
// - signs out, and signs in with the passkey alone (no address, password or code);
// - removes the passkey; signing in with it again is refused, in words.
// Every page is checked with axe-core and saved for the Nu HTML Checker (see harness.mjs).
//
// Usage: node e2e/passkeys.mjs BASE_URL (at localhost: WebAuthn refuses IP addresses), with
// the environment:
//   REDRESS_E2E_EMAIL, REDRESS_E2E_PASSWORD: the person's address and password;
//   REDRESS_E2E_CODE: a code from their authenticator app, good for the next minute;
//   REDRESS_E2E_DIR: where failure.png goes; REDRESS_E2E_PAGES: where the pages' HTML goes.
//
// crates/redress/tests/api/passkeys_browser.rs prepares this on both databases and then reads
// the audit trail and the stored passkeys.

import { join } from 'node:path';
import {
  check,
  checkPage,
  expectedStatuses,
  openPage,
  page,
  run,
  signIn,
  signOut,
  step,
  submitAndWait,
} from './harness.mjs';

const env = (name) => {
  const value = process.env[name];
  if (!value) {
    console.error(`usage: node e2e/passkeys.mjs BASE_URL (${name} is not set)`);
    process.exit(2);
  }
  return value;
};
const baseUrl = (process.argv[2] ?? '').replace(/\/+$/, '');
if (!baseUrl) {
  console.error('usage: node e2e/passkeys.mjs BASE_URL');
  process.exit(2);
}
const email = env('REDRESS_E2E_EMAIL');
const password = env('REDRESS_E2E_PASSWORD');
const code = env('REDRESS_E2E_CODE');
const dir = env('REDRESS_E2E_DIR');

const path = () => new URL(page.url()).pathname;

/** Clicks "Sign in with a passkey" and waits for the page it leads to (or its error). */
async function passkeySignIn() {
  await page.goto(`${baseUrl}/sign-in`);
  const button = page.getByRole('button', { name: 'Sign in with a passkey', exact: true });
  await button.waitFor({ state: 'visible' });
  await button.click();
}

run(
  async () => {
    await openPage();
    step('adding a virtual authenticator (DevTools WebAuthn)');
    const devtools = await page.context().newCDPSession(page);
    await devtools.send('WebAuthn.enable');
    const { authenticatorId } = await devtools.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });

    step('signing in with the password and a code');
    await page.goto(`${baseUrl}/sign-in`);
    await checkPage('sign-in-with-passkey-button');
    await signIn(email, password);
    check(path() === '/sign-in/code', `the password led to ${page.url()}, not the code page`);
    await page.getByLabel('Code from your app, or a recovery code').fill(code);
    await submitAndWait(page.getByRole('button', { name: 'Sign in', exact: true }));
    check(path() === '/complaints', `the code led to ${page.url()}`);

    step('adding a passkey on /account');
    await page.goto(`${baseUrl}/account`);
    await page.getByLabel('Name', { exact: true }).fill('Test laptop');
    await Promise.all([
      page.waitForURL(/\/account\?done=passkey_added/),
      page.getByRole('button', { name: 'Add a passkey', exact: true }).click(),
    ]);
    const notice = await page.getByRole('status').first().textContent();
    check(notice.includes('Your passkey was added'), `the notice says ${notice}`);
    check(
      (await page.getByRole('cell', { name: 'Test laptop', exact: true }).count()) === 1,
      'the passkey is listed',
    );
    await checkPage('account-with-passkey');
    const { credentials } = await devtools.send('WebAuthn.getCredentials', { authenticatorId });
    check(credentials.length === 1, `the authenticator holds ${credentials.length} credentials`);
    check(credentials[0].isResidentCredential, 'the passkey is discoverable (kept on the device)');

    step('signing in with the passkey alone');
    await signOut(baseUrl);
    await Promise.all([page.waitForURL(/\/complaints/), passkeySignIn()]);
    await page.goto(`${baseUrl}/account`);
    check(
      (await page.getByRole('cell', { name: 'Test laptop', exact: true }).count()) === 1,
      "signed in as the passkey's owner",
    );
    const lastUsed = await page.locator('#passkeys ~ .table-wrap td').nth(2).textContent();
    check(!lastUsed.includes('Never'), `the passkey's last use is shown (${lastUsed})`);

    step('removing the passkey');
    await submitAndWait(page.getByRole('button', { name: 'Remove Test laptop', exact: true }));
    check(
      (await page.getByRole('cell', { name: 'Test laptop', exact: true }).count()) === 0,
      'the passkey is gone from the list',
    );
    await checkPage('account-passkey-removed');

    step('a removed passkey no longer signs in');
    await signOut(baseUrl);
    expectedStatuses.add('401 POST /sign-in/passkey');
    await passkeySignIn();
    const refused = page.locator('[data-passkey-error]');
    await refused.waitFor({ state: 'visible' });
    const words = await refused.textContent();
    check(words.includes('not registered here'), `the refusal says ${words}`);
    check(path() === '/sign-in', `still on the sign-in page (${page.url()})`);
    await checkPage('sign-in-passkey-refused');
    console.log(`refused: ${words}`);
  },
  { pages: env('REDRESS_E2E_PAGES'), failureShot: join(dir, 'failure.png') },
);
