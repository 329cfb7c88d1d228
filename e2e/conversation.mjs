#!/usr/bin/env node
// End-to-end check of the conversation with a customer in headless Chromium, as three people
// and a customer would hold it:
// - an admin keeps a saved reply in four languages (one with an unknown placeholder refused);
// - the agent who owns a Romanian customer's complaint apologises, records the points of
//   complaint and sends them, replies from the saved reply (filled in for this complaint, in
//   Romanian) with a PDF attached, and writes an internal note mentioning a colleague; then
//   opens the reply as it was sent;
// - the customer, in a Romanian browser, reads the status page (in Romanian), downloads the
//   PDF, and adds information with a file; the public form greets them in Romanian too;
// - the owner is notified in the app (the header's count and the notifications page), the
//   colleague sees the mention;
// - the agent works the complaint to an outcome decided point by point, and closes it;
// - the status page and the customer's export never show the note.
// Every page is checked with axe-core and saved for the Nu HTML Checker (see harness.mjs).
//
// Usage: node e2e/conversation.mjs BASE_URL, with the environment:
//   REDRESS_E2E_PASSWORD: the password of the three accounts;
//   REDRESS_E2E_AGENT, REDRESS_E2E_COLLEAGUE, REDRESS_E2E_ADMIN: their email addresses;
//   REDRESS_E2E_COLLEAGUE_NAME: the colleague's name (mentioned by first name);
//   REDRESS_E2E_COMPLAINT: the complaint's page (owned by the agent);
//   REDRESS_E2E_STATUS_PATH: its status page (the signed link's path);
//   REDRESS_E2E_CUSTOMER: the customer's contact file;
//   REDRESS_E2E_FILES: a directory holding factura-corectata.pdf and extras.png;
//   REDRESS_E2E_DIR: where failure.png goes; REDRESS_E2E_PAGES: where the pages' HTML goes.
// Prints "complaint: RDR-…", "note: …" (the note's text) and "downloaded: N bytes".
//
// crates/redress/tests/api/conversation_browser.rs prepares all this, runs the script on
// both databases and then reads the emails the SMTP server received.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  act,
  alertText,
  backWithoutErrors,
  check,
  checkPage,
  documentHtml,
  expectedStatuses,
  fillDate,
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
    console.error(`usage: node e2e/conversation.mjs BASE_URL (${name} is not set)`);
    process.exit(2);
  }
  return value;
};
const baseUrl = (process.argv[2] ?? '').replace(/\/+$/, '');
if (!baseUrl) {
  console.error('usage: node e2e/conversation.mjs BASE_URL');
  process.exit(2);
}
const password = env('REDRESS_E2E_PASSWORD');
const agent = env('REDRESS_E2E_AGENT');
const colleague = env('REDRESS_E2E_COLLEAGUE');
const colleagueName = env('REDRESS_E2E_COLLEAGUE_NAME');
const admin = env('REDRESS_E2E_ADMIN');
const complaintPath = env('REDRESS_E2E_COMPLAINT');
const statusPath = env('REDRESS_E2E_STATUS_PATH');
const customerPath = env('REDRESS_E2E_CUSTOMER');
const files = env('REDRESS_E2E_FILES');
const dir = env('REDRESS_E2E_DIR');
const reference = complaintPath.split('/').pop();
const pdf = join(files, 'factura-corectata.pdf');
const png = join(files, 'extras.png');

/** The note's text: staff's working words, which no customer may ever see. */
const note =
  `@${colleagueName.split(' ')[0]} can you check account 88213 for the second charge of ` +
  '149 lei? She sounded upset on the phone. (staff-only-7f3a)';
const noteMarker = 'staff-only-7f3a';

const ownWords = 'Am atașat factura corectată.';

async function main() {
  const staff = await openPage();

  // The admin keeps a saved reply.
  step('signing in as the admin');
  await staff.goto(`${baseUrl}/sign-in`);
  await signIn(admin, password);
  step('opening the saved replies');
  await staff.goto(`${baseUrl}/admin/saved-replies`);
  await checkPage('saved-replies-none');
  const bodies = {
    English:
      'Dear {{customer_name}}, about {{reference}}: {{owner}} is looking after your complaint ' +
      'and will write again soon.',
    Español:
      'Estimado/a {{customer_name}}: sobre {{reference}}, {{owner}} se ocupa de su reclamación ' +
      'y le escribirá pronto.',
    Română:
      'Bună ziua, {{customer_name}}. Despre reclamația {{reference}}: {{owner}} se ocupă de ea ' +
      'și vă va scrie din nou în curând.',
    中文: '{{customer_name}}，您好：关于投诉 {{reference}}，{{owner}} 正在处理，会尽快回复您。',
  };
  step('saving a saved reply with an unknown placeholder');
  expectedStatuses.add('422 POST /admin/saved-replies');
  await staff.getByLabel('Title', { exact: true }).fill('Looking after it');
  for (const [language, body] of Object.entries(bodies)) {
    await staff
      .getByLabel(`In ${language}`, { exact: true })
      .fill(language === 'Română' ? `${body} Suma: {{refund_amount}}.` : body);
  }
  await submitAndWait(staff.getByRole('button', { name: 'Save', exact: true }));
  const refusal = await alertText();
  check(
    refusal.includes('{{refund_amount}} is not a placeholder'),
    `the unknown placeholder was not refused by name: ${refusal}`,
  );
  check(
    (await staff.getByLabel('Title', { exact: true }).inputValue()) === 'Looking after it',
    'the refused saved reply lost what the admin typed',
  );
  await checkPage('saved-reply-refused');
  step('saving the saved reply');
  await staff.getByLabel('In Română', { exact: true }).fill(bodies.Română);
  await submitAndWait(staff.getByRole('button', { name: 'Save', exact: true }));
  check(
    (await staff.getByRole('link', { name: 'Looking after it', exact: true }).count()) === 1,
    `the saved reply is not listed: ${await alertText()}`,
  );
  await checkPage('saved-replies');
  await signOut(baseUrl);

  // The owner: told they were given the complaint.
  step('signing in as the owner');
  await signIn(agent, password);
  await openUntil(
    `${baseUrl}/notifications`,
    async () => (await staff.locator('li.notification[data-kind="assigned"]').count()) === 1,
    'the owner is told the complaint was assigned to them',
  );
  check(
    Number(await staff.locator('.notifications-link .count').first().innerText().then((t) => t.replace(/\D/g, ''))) >= 1,
    'the header does not count the unread notification',
  );
  await checkPage('notifications-assigned');

  step('the keyboard: choosing and opening a complaint from the queue, and the "?" list');
  await openUntil(
    `${baseUrl}/complaints?owner=mine`,
    async () => (await staff.locator('tr[data-complaint]').count()) > 0,
    "the owner's queue shows their complaint",
  );
  await staff.keyboard.press('j');
  const firstRow = staff.locator('tr[data-complaint]').first();
  check(
    (await firstRow.getAttribute('class'))?.includes('chosen') &&
      (await staff.evaluate(() => document.activeElement?.closest('tr')?.getAttribute('data-complaint'))) ===
        (await firstRow.getAttribute('data-complaint')),
    'j does not choose the first complaint of the queue',
  );
  await staff.keyboard.press('?');
  check(await staff.locator('dialog#shortcuts').evaluate((d) => d.open), '? does not show the shortcuts');
  await checkPage('queue-shortcuts');
  await staff.keyboard.press('Escape');
  check(!(await staff.locator('dialog#shortcuts').evaluate((d) => d.open)), 'Escape does not close the shortcuts');
  const chosenReference = await firstRow.getAttribute('data-complaint');
  await Promise.all([staff.waitForURL(`**/complaints/${chosenReference}`), staff.keyboard.press('o')]);
  step('the keyboard on the complaint: r goes to the reply, typing is never a shortcut, n to the note');
  await staff.goto(`${baseUrl}${complaintPath}`);
  const focused = () => staff.evaluate(() => document.activeElement?.id ?? '');
  await staff.keyboard.press('r');
  check((await focused()) === 'reply-message', `r does not open the reply (focus on ${await focused()})`);
  await staff.keyboard.type('an');
  check(
    (await focused()) === 'reply-message' &&
      (await staff.locator('#reply-message').inputValue()) === 'an',
    'letters typed in the reply acted as shortcuts',
  );
  await staff.locator('#reply-message').fill('');
  await staff.evaluate(() => document.activeElement?.blur());
  await staff.keyboard.press('n');
  check((await focused()) === 'note', `n does not open the note (focus on ${await focused()})`);
  await staff.evaluate(() => document.activeElement?.blur());

  step('opening the complaint');
  await staff.goto(`${baseUrl}${complaintPath}`);
  await checkPage('complaint-assigned');
  await act(complaintPath, 'Acknowledge with an apology', async (form) => {
    await form
      .getByLabel('Your apology to the customer', { exact: true })
      .fill('Ne pare rău că vi s-a luat plata de două ori.');
  });
  await act(complaintPath, 'Record the points of complaint', async (form) => {
    await form
      .getByLabel('What we understood the customer to complain about: one short statement a line', {
        exact: true,
      })
      .fill('Abonamentul a fost plătit de două ori\nNimeni nu a răspuns la primul e-mail');
    await form.getByLabel(/^Send them to the customer/).check();
  });

  // A reply: refused empty, then sent from the saved reply with a PDF.
  const replyForm = staff.locator('form.reply-form');
  step('sending an empty reply (the browser\'s own checks off)');
  expectedStatuses.add(`422 POST ${complaintPath}/reply`);
  await replyForm.evaluate((f) => {
    f.noValidate = true;
  });
  await submitAndWait(replyForm.getByRole('button', { name: 'Send the reply', exact: true }));
  check(
    (await staff.locator('#error-send_reply').count()) === 1,
    `the empty reply led to ${staff.url()} without the error beside the form`,
  );
  await checkPage('reply-refused');
  step('replying from the saved reply, with a PDF');
  await staff.goto(`${baseUrl}${complaintPath}`);
  await staff.getByLabel('Start from a saved reply', { exact: true }).selectOption({ label: 'Looking after it' });
  const message = staff.getByLabel('Your reply, in your own words', { exact: true });
  const filled = await message.inputValue();
  check(
    filled.startsWith('Bună ziua, ') && filled.includes(reference) && !filled.includes('{{'),
    `the saved reply was not filled in, in Romanian, for ${reference}: ${JSON.stringify(filled)}`,
  );
  await message.fill(`${filled}\n\n${ownWords}`);
  await staff.locator('#reply-files').setInputFiles(pdf);
  await submitAndWait(replyForm.getByRole('button', { name: 'Send the reply', exact: true }));
  await backWithoutErrors(complaintPath, 'the reply');
  const replyEntry = staff.locator('#timeline li.look-reply');
  check(
    (await replyEntry.count()) === 1 &&
      (await replyEntry.getByRole('link', { name: 'factura-corectata.pdf', exact: true }).count()) === 1,
    'the timeline does not show the reply with its file',
  );
  await checkPage('complaint-after-reply');

  step('writing an internal note that mentions a colleague');
  await staff.getByLabel('Note', { exact: true }).fill(note);
  await submitAndWait(staff.getByRole('button', { name: 'Add the note', exact: true }));
  await backWithoutErrors(complaintPath, 'the note');
  const noteEntry = staff.locator('#timeline li.look-note');
  check(
    (await noteEntry.count()) === 1 &&
      (await noteEntry.locator('.badge.staff-only').count()) === 1 &&
      (await noteEntry.innerText()).includes(colleagueName),
    `the timeline does not show the note, for staff only, mentioning ${colleagueName}`,
  );
  await checkPage('complaint-after-note');

  step('opening the reply as it was sent');
  await openUntil(
    `${baseUrl}${complaintPath}`,
    async () => (await replyEntry.getByRole('link', { name: 'the email as sent' }).count()) === 1,
    'the reply is sent',
  );
  await submitAndWait(replyEntry.getByRole('link', { name: 'the email as sent' }));
  const sent = await staff.locator('main').innerText();
  check(
    sent.includes('In-Reply-To') && sent.includes('factura-corectata.pdf') && sent.includes(ownWords),
    `the email as sent lacks its thread header, file or words: ${sent.slice(0, 600)}`,
  );
  await checkPage('email-as-sent');

  // The customer, in a Romanian browser.
  const customer = await openPage({ locale: 'ro-RO' });
  step('the customer opens the status page');
  await customer.goto(`${baseUrl}${statusPath}`);
  check(
    (await customer.getAttribute('html', 'lang')) === 'ro' &&
      (await customer.getByRole('heading', { name: `Reclamația dumneavoastră ${reference}`, exact: true }).count()) === 1,
    `the status page is not in Romanian: lang=${await customer.getAttribute('html', 'lang')}`,
  );
  const statusText = await customer.locator('main').innerText();
  check(
    statusText.includes(ownWords) &&
      statusText.includes('Abonamentul a fost plătit de două ori') &&
      statusText.includes('De la noi'),
    `the status page lacks the reply or the points: ${statusText.slice(0, 800)}`,
  );
  check(!(await documentHtml()).includes(noteMarker), 'the status page shows the internal note');
  await checkPage('status-ro');
  step('the customer downloads the PDF');
  const [download] = await Promise.all([
    customer.waitForEvent('download'),
    customer.getByRole('link', { name: 'factura-corectata.pdf', exact: true }).click(),
  ]);
  const downloaded = readFileSync(await download.path());
  check(
    downloaded.equals(readFileSync(pdf)),
    `the PDF downloaded (${downloaded.length} bytes) is not the one attached`,
  );
  console.log(`downloaded: ${downloaded.length} bytes`);

  step('the customer adds nothing (refused, in Romanian)');
  const token = statusPath.split('/').pop();
  expectedStatuses.add(`422 POST /status/${token}/add`);
  await submitAndWait(customer.getByRole('button', { name: 'Trimite', exact: true }));
  const refused = await customer.locator('#add-error').innerText().catch(() => '');
  check(
    refused && (await customer.getAttribute('html', 'lang')) === 'ro' && !/[Pp]lease|empty/.test(refused),
    `adding nothing was not refused in Romanian: ${JSON.stringify(refused)} ${await alertText()}`,
  );
  await checkPage('status-ro-refused');
  step('the customer adds information with a file');
  await customer.getByLabel('Ce doriți să adăugați?', { exact: true }).fill('Vă trimit și extrasul de cont.');
  await customer.getByLabel('Fișiere (opțional)', { exact: true }).setInputFiles(png);
  await submitAndWait(customer.getByRole('button', { name: 'Trimite', exact: true }));
  check(
    (await customer.getByRole('status').filter({ hasText: 'Vă mulțumim' }).count()) === 1 &&
      (await customer.getByRole('link', { name: 'extras.png', exact: true }).count()) === 1,
    `adding information did not thank the customer and show the file: ${await alertText()}`,
  );
  await checkPage('status-ro-added');
  step('the public form greets a Romanian browser in Romanian, and switches to English');
  await customer.goto(`${baseUrl}/complain`);
  check(
    (await customer.getAttribute('html', 'lang')) === 'ro' &&
      (await customer.getByRole('heading', { name: 'Trimiteți o reclamație', exact: true }).count()) === 1,
    `the public form is not in Romanian for a Romanian browser: ${await customer.title()}`,
  );
  await checkPage('public-form-ro');
  await submitAndWait(customer.getByRole('link', { name: 'English', exact: true }));
  check(
    (await customer.getAttribute('html', 'lang')) === 'en' &&
      (await customer.getByRole('heading', { name: 'Make a complaint', exact: true }).count()) === 1,
    `the language switch did not lead to the English form: ${customer.url()}`,
  );

  // The owner hears of it.
  usePage(staff);
  step('the owner is told the customer wrote');
  await openUntil(
    `${baseUrl}/notifications`,
    async () => (await staff.locator('li.notification.unread[data-kind="customer_wrote"]').count()) >= 1,
    'the owner is told the customer wrote',
  );
  await checkPage('notifications');
  const wrote = staff.locator('li.notification.unread[data-kind="customer_wrote"]').first();
  await submitAndWait(wrote.getByRole('button', { name: /^Mark read/ }));
  check(
    (await staff.getByRole('status').filter({ hasText: 'Marked read.' }).count()) === 1,
    'marking one notification read said nothing',
  );
  await submitAndWait(staff.getByRole('button', { name: 'Mark all read', exact: true }));
  check(
    (await staff.locator('li.notification.unread').count()) === 0 &&
      (await staff.locator('.notifications-link .count').count()) === 0,
    'after "Mark all read" some are still unread, or the header still counts them',
  );
  await checkPage('notifications-read');
  await staff.goto(`${baseUrl}${complaintPath}`);
  check(
    (await staff.locator('#timeline').getByRole('link', { name: 'extras.png', exact: true }).count()) === 1,
    'the complaint page does not offer the file the customer added',
  );

  // The colleague sees the mention.
  step('the colleague signs in and sees the mention');
  await signOut(baseUrl);
  await signIn(colleague, password);
  await openUntil(
    `${baseUrl}/notifications`,
    async () => (await staff.locator('li.notification[data-kind="mentioned"]').count()) === 1,
    'the colleague is told of the mention',
  );
  check(
    (await staff.locator('li.notification[data-kind="customer_wrote"]').count()) === 0,
    'the colleague is told what only the owner should hear',
  );
  await checkPage('notifications-mentioned');
  await signOut(baseUrl);

  // The owner works the complaint to an outcome decided point by point.
  step('the owner works the complaint to its outcome');
  await signIn(agent, password);
  await staff.goto(`${baseUrl}${complaintPath}`);
  await act(complaintPath, 'Record a fact', async (form) => {
    await form.getByLabel('The fact', { exact: true }).fill('The payment provider charged twice.');
  });
  await act(complaintPath, 'Conclude the investigation', async (form) => {
    await form
      .getByLabel('What the facts show', { exact: true })
      .fill('A retry in our billing charged the subscription twice.');
  });
  await act(complaintPath, 'Commit to an action', async (form) => {
    await form
      .getByLabel('What we will do', { exact: true })
      .fill('Refund the second payment of 149 lei.');
    await fillDate(form.getByLabel('Done by', { exact: true }));
  });
  await act(complaintPath, 'Send a progress update', async (form) => {
    await form
      .getByLabel('Update for the customer', { exact: true })
      .fill('Rambursarea a fost trimisă.');
    await fillDate(form.getByLabel('Next update by', { exact: true }));
  });
  await act(complaintPath, 'Resolve with an outcome', async (form) => {
    const first = form.getByRole('group', { name: /^Point 1:/ });
    await first.getByLabel('Upheld', { exact: true }).check();
    await first
      .getByLabel('Why (for the customer)', { exact: true })
      .fill('Sistemul nostru a încasat plata a doua oară.');
    const second = form.getByRole('group', { name: /^Point 2:/ });
    await second.getByLabel('Not upheld', { exact: true }).check();
    await second
      .getByLabel('Why (for the customer)', { exact: true })
      .fill('Am răspuns la primul e-mail în aceeași zi.');
    await form
      .getByLabel('Reasons (said with care)', { exact: true })
      .fill('Vă mulțumim pentru răbdare.');
  });
  await act(complaintPath, 'Close', async () => {});
  const steps = await staff.locator('ol.steps > li.step.done').count();
  check(steps === 6, `after closing, ${steps} of the 6 steps are done`);

  step('the customer reads the outcome, point by point');
  usePage(customer);
  await customer.goto(`${baseUrl}${statusPath}`);
  const closedText = await customer.locator('main').innerText();
  check(
    closedText.includes('Sistemul nostru a încasat plata a doua oară.') &&
      closedText.includes('Am răspuns la primul e-mail în aceeași zi.'),
    `the status page does not give the decision on each point: ${closedText.slice(0, 1200)}`,
  );
  check(!(await documentHtml()).includes(noteMarker), 'the closed status page shows the note');
  await checkPage('status-ro-closed');

  step('the admin exports the customer\'s data');
  usePage(staff);
  await signOut(baseUrl);
  await signIn(admin, password);
  await staff.goto(`${baseUrl}${customerPath}/export`);
  const exported = await documentHtml();
  check(exported.includes(ownWords), 'the export lacks the reply the customer was sent');
  check(!exported.includes(noteMarker), 'the export shows the internal note');
  await checkPage('customer-export');

  console.log(`complaint: ${reference}`);
  console.log(`note: ${note}`);
  check(page === staff, 'the script ends on the staff page');
}

await run(main, { pages: env('REDRESS_E2E_PAGES'), failureShot: join(dir, 'failure.png') });
