import { existsSync } from 'node:fs';

import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CONSOLE_CSP } from '../../src/console/console-assets.js';
import { scriptedTool } from '../support/scripted-tool.js';
import { waitFor } from '../support/test-app.js';
import { startConsoleApp, type ConsoleApp } from './console-app.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`console tests skipped: ${CHROMIUM} is not installed`);

const KEY = 'console-test-key';
const XSS_VALUE = '<img src=x onerror="window.__xss=1">';

/** Headless Chromium as the CI machine has it. */
function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
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

describe.skipIf(!haveChromium)('the web console in Chromium', () => {
  let app: ConsoleApp;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  const slow = scriptedTool('slowpoke', {
    lines: ['starting', 'looking around', 'still looking'],
    findings: [
      { kind: 'HOST', value: 'www.example.com' },
      { kind: 'IP', value: '192.0.2.10' },
    ],
    stepMs: 300,
  });
  const quick = scriptedTool('quick', {
    lines: ['one line'],
    findings: [{ kind: 'HOST', value: 'www.example.com' }],
  });
  const evil = scriptedTool('evil', {
    lines: ['<script>window.__xss=2</script>'],
    findings: [{ kind: 'OTHER', value: XSS_VALUE }],
  });
  const broken = scriptedTool('broken', { lines: ['about to fail'], fail: 'remote said no' });
  const hanging = scriptedTool('hanging', { lines: ['waiting'], hang: true, stepMs: 10 });
  const offline = scriptedTool('offline', {});
  offline.checkAvailability = async () => ({ available: false, reason: 'SEARXNG_URL is not set' });

  const text = (selector: string) => page.locator(selector).first().textContent();
  const rowStatus = (tool: string) =>
    page.evaluate(
      (t) =>
        document.querySelector(`#tool-progress tr[data-tool="${t}"]`)?.getAttribute('data-status'),
      tool,
    );

  beforeAll(async () => {
    app = await startConsoleApp({
      tools: [slow, quick, evil, broken, hanging, offline],
      env: { OSINT_API_KEY: KEY },
    });
    browser = await launchChromium();
    page = await browser.newPage();
    page.setDefaultTimeout(10_000);
    page.on('console', (msg) => {
      if (msg.type() === 'error' && !/status of 40[14]/.test(msg.text())) problems.push(msg.text());
    });
    page.on('pageerror', (err) => problems.push(err.message));
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  it('is served with a strict policy and no inline code', async () => {
    const res = await fetch(`${app.url}/console/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toBe(CONSOLE_CSP);
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)/);
    expect(html).not.toMatch(/\sstyle=|<style/);
    expect(
      (await fetch(`${app.url}/console`, { redirect: 'manual' })).headers.get('location'),
    ).toBe('/console/');
    expect((await fetch(`${app.url}/console/nope.js`)).status).toBe(404);
  });

  it('asks for the key, keeps it in the session only, and refuses a wrong one', async () => {
    await page.goto(`${app.url}/console/`);
    await page.fill('#api-key', 'wrong-key');
    await page.click('#key-submit');
    await page.waitForSelector('#alert:not([hidden])');
    expect(await text('#alert')).toContain('UNAUTHENTICATED');

    await page.fill('#api-key', KEY);
    await page.click('#key-submit');
    await page.waitForSelector('#create-form');
    const stored = await page.evaluate(() => ({
      session: sessionStorage.getItem('loom.apiKey'),
      local: localStorage.length,
      cookie: document.cookie,
    }));
    expect(stored).toEqual({ session: KEY, local: 0, cookie: '' });
  });

  it('lists the tools with their availability', async () => {
    await page.waitForSelector('#tool-options input[value="slowpoke"]');
    expect(await page.isDisabled('#tool-options input[value="offline"]')).toBe(true);
    expect(await page.isDisabled('#tool-options input[value="slowpoke"]')).toBe(false);
    expect(await text('.tool-option[data-tool="offline"] .tool-reason')).toBe(
      'SEARXNG_URL is not set',
    );
  });

  it('creates a case, shows its progress live, its findings by kind and its report', async () => {
    await page.fill('#target', 'example.com');
    await page.fill('#title', '<b>Bold</b> case');
    for (const tool of ['slowpoke', 'quick', 'evil']) {
      await page.check(`#tool-options input[value="${tool}"]`);
    }
    await page.click('#create-submit');
    await page.waitForURL(/#\/cases\/[0-9a-f-]+$/);
    expect(await text('#case-title')).toBe('<b>Bold</b> case');

    // Progress arrives while the slow tool works, then it ends.
    await waitFor(async () => (await rowStatus('slowpoke')) === 'RUNNING');
    await waitFor(async () => (await text('#case-status')) === 'COMPLETED');
    expect(await rowStatus('slowpoke')).toBe('SUCCEEDED');
    expect(await text('#tool-progress tr[data-tool="slowpoke"] .finding-count')).toBe('2');
    expect(await text('#tool-progress tr[data-tool="slowpoke"] .elapsed')).toMatch(/^\d+\.\ds$/);

    // Findings by kind, each with every tool that found it.
    expect(await page.locator('#finding-kinds .tab').allTextContents()).toEqual([
      'Hosts (1)',
      'IP addresses (1)',
      'Other (1)',
    ]);
    expect(await text('#finding-kinds .tab.selected')).toBe('Hosts (1)');
    const host = page.locator('#findings tr', { hasText: 'www.example.com' });
    expect(await host.locator('.chip').allTextContents()).toEqual(['quick', 'slowpoke']);
    await page.click('#finding-kinds .tab[data-kind="OTHER"]');
    expect(await text('#findings td.value')).toBe(XSS_VALUE);

    // The report, drawn from Markdown with every piece of data as text.
    await page.waitForSelector('#report h2');
    expect(await text('#report h2')).toBe('<b>Bold</b> case');
    expect(await page.locator('#report table').count()).toBeGreaterThan(1);
    expect(await page.locator('#report').textContent()).toContain(XSS_VALUE);
    expect(await page.locator('#report b, #report img, #report script').count()).toBe(0);
    expect(await text('#report-meta')).toMatch(/^Written by loom/);

    await page.click('details summary');
    expect(await text('#output-log')).toContain('[evil] <script>window.__xss=2</script>');
    expect(await page.evaluate(() => (window as { __xss?: number }).__xss)).toBeUndefined();
  });

  it('cancels a running case and retries a failed run', async () => {
    await page.goto(`${app.url}/console/#/`);
    await page.waitForSelector('#tool-options input[value="hanging"]');
    await page.fill('#target', 'example.org');
    await page.check('#tool-options input[value="hanging"]');
    await page.check('#tool-options input[value="broken"]');
    await page.click('#create-submit');
    await page.waitForURL(/#\/cases\//);

    await waitFor(async () => (await rowStatus('broken')) === 'FAILED');
    expect(await text('#tool-progress tr[data-tool="broken"] .notes')).toBe('remote said no');
    await waitFor(async () => (await rowStatus('hanging')) === 'RUNNING');
    await page.click('#cancel-case');
    await waitFor(async () => ['CANCELLED', 'FAILED'].includes((await text('#case-status')) ?? ''));
    expect(await page.isHidden('#cancel-case')).toBe(true);
    expect(await rowStatus('hanging')).toBe('CANCELLED');

    const startedBefore = broken.started;
    await page.click('#tool-progress tr[data-tool="broken"] button.retry');
    await waitFor(() => broken.started === startedBefore + 1);
    await waitFor(
      async () => (await rowStatus('broken')) === 'FAILED' && broken.started > startedBefore,
    );
    await waitFor(async () =>
      ['CANCELLED', 'FAILED', 'PARTIAL'].includes((await text('#case-status')) ?? ''),
    );
  });

  it('lists the cases and opens one from the list', async () => {
    await page.goto(`${app.url}/console/#/`);
    await page.waitForSelector('#case-list tr[data-case]').catch(async (err: unknown) => {
      await page.screenshot({ path: '/tmp/console-fail.png', fullPage: true });
      throw err;
    });
    expect(await page.locator('#case-list tr[data-case]').count()).toBe(2);
    await page.locator('#case-list a', { hasText: '<b>Bold</b> case' }).click();
    await page.waitForURL(/#\/cases\//);
    await waitFor(async () => (await text('#case-status')) === 'COMPLETED');
    if (process.env.LOOM_CONSOLE_SCREENSHOT) {
      await page.screenshot({ path: process.env.LOOM_CONSOLE_SCREENSHOT, fullPage: true });
    }
  });

  it('raised no script error and no policy violation', () => {
    expect(problems).toEqual([]);
  });
});
