import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type Browser } from '../support/browser.js';
import { ROOT } from '../support/cli.js';
import { httpGet } from '../support/http.js';
import type { Nginx } from '../support/nginx.js';
import { call, startServe, type Served } from '../support/serve.js';
import { makeWorld, startLbNginx, switchSection, type World } from '../support/switch-world.js';

// The page of `deployer serve` in a real browser (headless Chromium): log in through the form, press
// Switch, read the plan, confirm, and see production change, both through nginx and on the page
// (with a post-switch hook whose output streams to the page).
// Every wait is for a DOM state, never a fixed time. UPDATE_SCREENSHOT=1 writes docs/serve.png (the
// README shows it); otherwise the screenshot goes to a temp dir.

const TOKEN = `browser-token-${process.pid}`;
let w: World;
let nginx: Nginx;
let A: string;
let B: string;
let srv: Served;
let browser: Browser;
let page: Page;
let shots: string;
const served = async () => (await httpGet(`http://127.0.0.1:${nginx.port}/`)).headers['x-revision'];
const short = (r: string) => r.slice(0, 12);

beforeAll(async () => {
  w = await makeWorld('e2e-browser', 2);
  [A, B] = w.revs as [string, string];
  nginx = await startLbNginx();
  await w.writeConfig('deployer.yaml', [...switchSection(nginx, join(w.dir, 'state'), { verifyTimeoutSeconds: 15 }), 'hooks:',
    `  post-switch: [{ name: notify-chat, command: [/bin/echo, 'posted to chat: {DEPLOYER_APP} {DEPLOYER_REVISION} is live'] }]`]);
  await w.deployTested(A, B);
  const first = await w.cli(['switch', A]);
  expect(first.exitCode, first.stderr).toBe(0);
  srv = await startServe(w.dir, join(w.dir, 'deployer.yaml'), { DEPLOYER_UI_TOKEN: TOKEN });
  browser = await launchChromium();
  page = await browser.context.newPage();
  // An upper bound for each wait on a busy machine (a switch verifies within 15 s), not a pace.
  page.setDefaultTimeout(90_000);
  shots = await mkdtemp(join(tmpdir(), 'deployer-shots-'));
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await srv?.close();
  await nginx?.close();
  await w?.close();
  if (shots) await rm(shots, { recursive: true, force: true });
});

describe('deployer serve in a browser', () => {
  it('log in, Switch, confirm: production serves the new revision and the page shows it live', async () => {
    await page.goto(srv.url);
    await page.waitForSelector(`tr.live[data-revision="${A}"]`);
    expect(await page.title()).toBe(`deployer · ${w.app}`);

    await page.fill('#who', 'carol');
    await page.fill('#token', TOKEN);
    await page.click('#login button[type="submit"]');
    await page.waitForSelector('#login', { state: 'hidden' });
    await page.waitForSelector('#logout', { state: 'visible' });
    expect(page.url()).not.toContain(TOKEN);

    await page.click(`button[data-action="switch"][data-revision="${B}"]`);
    await page.waitForSelector('#confirm', { state: 'visible' });
    const plan = await page.textContent('#plan');
    expect(plan).toContain(`deployer switch ${short(B)}  (live: ${short(A)})`);
    expect(plan).toContain('hook notify-chat: /bin/echo');
    expect(plan).toContain('Nothing has been changed.');
    expect(await served()).toBe(A);

    await page.click('#confirm');
    await page.waitForFunction((rev) => document.querySelector('#progress')?.textContent?.includes(`${rev} is live (verified`), short(B));
    await page.waitForSelector(`tr.live[data-revision="${B}"]`);
    expect(await served()).toBe(B);
    expect(await page.textContent('#live')).toBe(short(B));
    const progress = await page.textContent('#progress');
    expect(progress).toContain('nginx upstream backend');
    expect(progress).toContain(`notify-chat | posted to chat: ${w.app} ${B} is live`);
    const history = JSON.parse((await call(`${srv.url}api/history`)).body) as { entries: { to: string; by: string }[] };
    expect(history.entries.at(-1)!.to).toBe(B);
    expect(history.entries.at(-1)!.by).toMatch(/^web:carol \(/);

    const file = process.env.UPDATE_SCREENSHOT ? join(ROOT, 'docs', 'serve.png') : join(shots, 'serve.png');
    await page.screenshot({ path: file, fullPage: true });
    expect((await readFile(file)).subarray(1, 4).toString()).toBe('PNG');
    expect(await page.content()).not.toContain(TOKEN);
  }, 120_000);

  it('a rollback from the CLI shows up on the open page without a reload', async () => {
    const back = await w.cli(['rollback', '--yes']);
    expect(back.exitCode, back.stderr).toBe(0);
    await page.waitForSelector(`tr.live[data-revision="${A}"]`);
    expect(await page.textContent('#live')).toBe(short(A));
    expect(await served()).toBe(A);
  }, 120_000);
});
