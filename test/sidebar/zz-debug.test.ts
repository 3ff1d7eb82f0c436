import { launchChromium, openPhone } from './browser';
import { CUSTOMERS } from './fixture';
import { startSidebarWorld } from './world';
jest.setTimeout(60000);
it('debug', async () => {
  const world = await startSidebarWorld();
  const browser = await launchChromium();
  const { page } = await openPhone(browser, world, { entry: 'single_chat_tools', userId: CUSTOMERS.chen });
  page.on('console', (m) => console.log('CONSOLE', m.type(), m.text()));
  page.on('pageerror', (e) => console.log('PAGEERROR', e.message));
  page.on('response', (r) => console.log('RESP', r.status(), r.url()));
  await page.goto(`${world.url}/sidebar/`);
  await page.waitForTimeout(3000);
  console.log(await page.content());
  await browser.close();
  await world.stop();
});
