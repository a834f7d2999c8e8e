// Saves screenshots of the main pages to SCREENSHOT_DIR (docs/screenshots by default), against
// ROOMS_E2E_BASE_URL. Run through `npm run screenshots` (scripts/e2e.sh --screenshots), which starts a
// fresh server so the pictures show a clean, made-up conversation.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { createRoom, launch, newContext, register, sendMessage, waitConnected, messageItem, uniqueName } from './harness.mjs';

const OUT = process.env.SCREENSHOT_DIR || path.resolve(import.meta.dirname, '../../docs/screenshots');
const fresh = process.env.ROOMS_SCREENSHOT_UNIQUE !== '1';
const nick = (n) => (fresh ? n : uniqueName(n));

const browser = await launch();
const contexts = [];
let failed = false;
try {
  await mkdir(OUT, { recursive: true });
  const desktop = { viewport: { width: 1280, height: 800 } };
  const phone = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };
  const shot = async (page, name) => {
    await page.waitForTimeout(250); // let transitions settle
    await page.screenshot({ path: path.join(OUT, name) });
    console.log(`saved ${path.join(OUT, name)}`);
  };

  // Login page, empty and with an error.
  const anon = await newContext(browser, desktop);
  contexts.push(anon);
  anon.allow(() => true);
  const ap = await anon.newPage();
  await ap.goto('/login');
  await ap.getByLabel('Nickname').waitFor();
  await shot(ap, 'login.png');
  await ap.goto('/register');
  await ap.getByLabel('Nickname').fill('maria');
  await shot(ap, 'register.png');

  // Three people and a conversation.
  const people = {};
  for (const [key, name] of [
    ['maria', 'maria'],
    ['tom', 'tom_h'],
    ['li', 'li.wei'],
  ]) {
    const c = await newContext(browser, desktop);
    contexts.push(c);
    const page = await c.newPage();
    people[key] = { c, page, nick: nick(name) };
    await register(page, people[key].nick);
  }
  const { maria, tom, li } = people;
  for (const r of ['design-review', 'random', 'release-2.0']) {
    await maria.page.goto('/rooms');
    await createRoom(maria.page, r);
  }
  await maria.page.goto('/rooms');
  const roomId = await createRoom(maria.page, 'general');
  for (const p of [tom, li]) {
    await p.page.goto(`/rooms/${roomId}`);
    await waitConnected(p.page);
  }
  const script = [
    [tom, 'Morning all! Is the staging deploy done?'],
    [maria, 'Yes, finished ten minutes ago. All green ✅'],
    [li, 'Nice. I will run the smoke tests after standup.'],
    [tom, 'Great, thanks.\nCan someone review the login page changes today?'],
    [maria, 'I can take it — send me the link.'],
    [li, 'Also: lunch at 12:30? 🍜'],
  ];
  for (const [who, text] of script) {
    await sendMessage(who.page, text);
    await messageItem(maria.page, text.split('\n')[0]).waitFor();
  }
  await maria.page.getByTestId('online-list').getByText(li.nick).waitFor();
  await shot(maria.page, 'room.png');

  await maria.page.goto('/rooms');
  await maria.page.getByRole('link', { name: /general/ }).waitFor();
  await shot(maria.page, 'rooms.png');

  // Phone width.
  const mobile = await newContext(browser, phone);
  contexts.push(mobile);
  const mp = await mobile.newPage();
  await mp.goto('/login');
  await mp.getByLabel('Nickname').waitFor();
  await shot(mp, 'login-phone.png');
  await mp.getByLabel('Nickname').fill(tom.nick);
  await mp.getByLabel('Password').fill('correct horse battery');
  await mp.getByRole('button', { name: 'Log in' }).click();
  await mp.waitForURL('**/rooms');
  await mp.getByRole('link', { name: /general/ }).waitFor();
  await shot(mp, 'rooms-phone.png');
  await mp.getByRole('link', { name: /general/ }).click();
  await waitConnected(mp);
  await messageItem(mp, 'lunch at 12:30').waitFor();
  await shot(mp, 'room-phone.png');
  await mp.getByRole('button', { name: /^Online/ }).click();
  await mp.getByTestId('online-list').getByText(li.nick).waitFor();
  await shot(mp, 'room-phone-online.png');
  await mp.getByRole('button', { name: /^Online/ }).click();

  // The error a rejected message gets.
  await sendMessage(mp, 'x'.repeat(4200));
  await mp.getByTestId('send-error').waitFor();
  await shot(mp, 'room-phone-error.png');
} catch (e) {
  failed = true;
  console.error(e);
} finally {
  for (const c of contexts) await c.close();
  await browser.close();
}
process.exit(failed ? 1 : 0);
