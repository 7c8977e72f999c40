// Debian's headless Chromium through playwright-core (never a downloaded browser), with the
// flags that keep it quiet in a container, and a page that records its console errors.
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';

/** `args`: extra Chromium flags (e.g. --ignore-certificate-errors-spki-list=<pin>). */
export function launchChromium({ args = [] } = {}) {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      ...args,
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A new page in its own context; `consoleErrors` collects console errors and page errors. */
export async function openPage(browser, { viewport, initScript } = {}) {
  const context = await browser.newContext(viewport ? { viewport } : {});
  if (initScript) await context.addInitScript(initScript);
  const page = await context.newPage();
  const consoleErrors = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') consoleErrors.push(`console: ${msg.text()} (${msg.location().url})`);
  });
  page.on('pageerror', (err) => consoleErrors.push(`page error: ${err.message}`));
  return { page, consoleErrors };
}
