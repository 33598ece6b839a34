// Debian's chromium, headless, driven by playwright-core (which never downloads a browser: it only
// gets an executablePath). Each launch gets a fresh profile directory, removed on close.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** Quiet, offline, reproducible: no GPU, no QUIC, no first-run or background network traffic. */
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchChromium(viewport = { width: 1100, height: 800 }): Promise<Browser> {
  const profile = await mkdtemp(join(tmpdir(), 'deployer-chromium-'));
  // launchPersistentContext is how playwright takes a --user-data-dir (it refuses one in args).
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport, timeout: 60_000 });
  return {
    context,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
