#!/usr/bin/env node
// End-to-end run of the dashboard against a real `footfall demo` in headless Chromium:
// API drift check, login, live counts, camera detail, camera editor (drawing), history,
// users and roles, logout, first-run setup; screenshots of every page (light and dark) in
// test-results/screenshots; benchmarks (load to interactive, live latency) printed.
//
//   FOOTFALL_BIN=/path/to/footfall node e2e/run.mjs     (after `npm run build`)
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { chromium } from 'playwright-core';
import { paths, startDemo, startFresh, webDir } from './server.mjs';

const shots = join(webDir, 'test-results/screenshots');
rmSync(shots, { recursive: true, force: true });
mkdirSync(shots, { recursive: true });

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const LIVE_TIMEOUT = 60_000;

function step(name) {
  console.log(`e2e: ${name}`);
}

function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
}

const quantile = (values, q) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
};

/** A JSON API call from Node (for setup and for checking what the UI saved). */
async function api(base, token, method, path, body) {
  const response = await fetch(base + path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

async function checkApiDrift(base) {
  step('API drift: /api/openapi.json against web/openapi.json');
  const served = await (await fetch(`${base}/api/openapi.json`)).json();
  const committed = JSON.parse(readFileSync(join(webDir, 'openapi.json'), 'utf8'));
  if (!isDeepStrictEqual(served, committed)) {
    throw new Error('API changed: run `npm run gen:api` (with this server running) and review the type errors it causes');
  }
}

async function screenshot(page, name) {
  await page.waitForTimeout(300); // let charts settle after the last data arrived
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

async function login(page, base, user, password) {
  await page.goto(base + '/');
  await page.getByLabel('Username or email').fill(user);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Live overview' }).waitFor();
}

/** The drawing canvas's box, scrolled into view (mouse events only reach what is on screen). */
async function canvasBox(page) {
  const canvas = page.getByTestId('geometry-canvas');
  await canvas.scrollIntoViewIfNeeded();
  return canvas.boundingBox();
}

/** Clicks at a fraction of the drawing canvas. */
async function clickCanvas(page, x, y) {
  const box = await canvasBox(page);
  await page.mouse.click(box.x + x * box.width, box.y + y * box.height);
}

/**
 * A server with no user yet: the login page offers the first-admin form; a wrong setup
 * token is refused next to its field; the printed one creates the admin and signs in.
 */
async function firstRunSetup(browser) {
  step('first run: create the first administrator with the setup token');
  const fresh = await startFresh();
  const context = await browser.newContext({ viewport: { width: 1024, height: 800 }, colorScheme: 'light' });
  try {
    const page = await context.newPage();
    await page.goto(fresh.url + '/');
    await page.getByRole('heading', { name: 'Create the first administrator' }).waitFor();
    await page.getByLabel('Setup token').fill('not-the-token');
    await page.getByLabel('Email').fill('owner@example.com');
    await page.getByLabel('Password', { exact: true }).fill('Owner-Setup-2026');
    await page.getByRole('button', { name: 'Create administrator' }).click();
    await page.getByText('does not match the token printed at start-up').waitFor();
    await screenshot(page, 'setup-light');
    await page.getByLabel('Setup token').fill(fresh.setupToken);
    await page.getByRole('button', { name: 'Create administrator' }).click();
    await page.getByRole('heading', { name: 'Live overview' }).waitFor();
    const status = await (await fetch(fresh.url + '/api/v1/auth/status')).json();
    check(status.setup_required === false, 'setup done: the server has its admin');
  } finally {
    await context.close();
    fresh.stop();
  }
}

async function run() {
  const server = await startDemo({ FOOTFALL_LIVE__RESULT_INTERVAL_S: '1' });
  const base = server.url;
  console.log(`e2e: server ${base} (${paths.bin})`);
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
  try {
    await checkApiDrift(base);
    const admin = await api(base, null, 'POST', '/api/v1/auth/login', { login: server.login, password: server.password });
    const adminToken = admin.access_token;

    const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, colorScheme: 'light' });
    const page = await context.newPage();
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));

    step('login page');
    await page.goto(base + '/');
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await screenshot(page, 'login-light');
    await login(page, base, server.login, server.password);

    step('live overview: Demo goes online and its occupancy changes');
    const demo = (await api(base, adminToken, 'GET', '/api/v1/cameras')).find((c) => c.name === 'Demo');
    check(demo, 'the demo camera exists');
    const card = page.getByTestId(`camera-card-${demo.id}`);
    await card.getByText('online').waitFor({ timeout: LIVE_TIMEOUT });
    const first = await card.getByTestId('occupancy').textContent();
    await page.waitForFunction(
      ({ id, first }) => {
        const value = document.querySelector(`[data-testid="camera-card-${id}"] [data-testid="occupancy"]`)?.textContent;
        return value !== undefined && value !== first;
      },
      { id: demo.id, first },
      { timeout: LIVE_TIMEOUT },
    );
    check((await page.getByTestId('connection-banner').count()) === 0, 'no connection banner while connected');
    await screenshot(page, 'overview-light');

    step('live connection drop: banner, reconnect with since=, banner gone');
    {
      // A separate tab whose WebSocket goes through Playwright, so the test can cut it
      // (the benchmark tab stays unrouted: routing adds latency).
      const tab = await context.newPage();
      const routed = [];
      await tab.routeWebSocket(/\/api\/v1\/ws/, (ws) => {
        routed.push(ws);
        ws.connectToServer();
      });
      await tab.goto(base + '/');
      await tab.getByTestId(`camera-card-${demo.id}`).getByText('online').waitFor();
      await tab.waitForFunction(() => !document.querySelector('[data-testid="connection-banner"]'));
      await tab.waitForTimeout(3000); // a few count messages (one a second here) give it a seq
      await routed.at(-1).close();
      await tab.getByTestId('connection-banner').waitFor({ timeout: 5_000 });
      await tab.getByTestId('connection-banner').waitFor({ state: 'detached', timeout: 15_000 });
      const resumed = routed.at(-1).url();
      check(routed.length >= 2 && /[?&]since=\d+/.test(resumed), `the reconnect resumes from the last seq (${resumed})`);
      await tab.close();
    }

    step('camera detail: MJPEG live view');
    await card.getByRole('link', { name: 'Demo' }).click();
    await page.getByRole('heading', { name: 'Demo' }).waitFor();
    await page.waitForFunction(() => (document.querySelector('[data-testid="mjpeg"]')?.naturalWidth ?? 0) > 0, null, { timeout: 20_000 });
    await page.getByText('exit').first().waitFor();
    await screenshot(page, 'camera-detail-light');

    step('camera editor: create a camera, draw a line and a zone, save, reload');
    await page.getByRole('link', { name: 'Live' }).click();
    await page.getByRole('link', { name: 'Add camera' }).click();
    await page.getByRole('heading', { name: 'New camera' }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('Entrance');
    await page.getByLabel('Stream URL').fill(`file://${paths.video}`);
    await page.getByLabel('Stream type').selectOption('file');
    await page.getByLabel('Loop file sources').check();
    await page.getByRole('button', { name: 'Add line' }).click();
    await clickCanvas(page, 0.2, 0.5);
    await clickCanvas(page, 0.8, 0.5);
    await page.getByRole('button', { name: 'Add zone' }).click();
    await clickCanvas(page, 0.1, 0.6);
    await clickCanvas(page, 0.4, 0.6);
    await clickCanvas(page, 0.4, 0.9);
    await clickCanvas(page, 0.1, 0.9);
    await page.getByRole('button', { name: 'Finish zone' }).click();
    // Drag the line's end from (0.8, 0.5) to (0.8, 0.3).
    const box = await canvasBox(page);
    await page.mouse.move(box.x + 0.8 * box.width, box.y + 0.5 * box.height);
    await page.mouse.down();
    await page.mouse.move(box.x + 0.8 * box.width, box.y + 0.4 * box.height, { steps: 4 });
    await page.mouse.move(box.x + 0.8 * box.width, box.y + 0.3 * box.height, { steps: 4 });
    await page.mouse.up();
    await page.getByRole('button', { name: 'Flip direction' }).click();
    // A value the API rejects: its message shows next to the field.
    await page.getByLabel('Detector FPS').fill('100');
    await page.getByRole('button', { name: 'Create camera' }).click();
    await page.getByText('must be 0.1 to 60').waitFor();
    await screenshot(page, 'camera-editor-validation-light');
    await page.getByLabel('Detector FPS').fill('5');
    await page.getByRole('button', { name: 'Create camera' }).click();
    await page.waitForURL(/\/cameras\/\d+\/edit$/);
    const cameraId = Number(/\/cameras\/(\d+)\/edit/.exec(page.url())[1]);
    await page.reload();
    await page.getByTestId('line-0').waitFor();
    check((await page.getByTestId('line-0').getByLabel('Name').inputValue()) === 'line 1', 'the line survives a reload');
    check((await page.getByTestId('zone-0').getByLabel('Name').inputValue()) === 'zone 1', 'the zone survives a reload');
    const saved = await api(base, adminToken, 'GET', `/api/v1/cameras/${cameraId}`);
    const near = (a, b) => Math.abs(a - b) < 0.02;
    const line = saved.lines[0];
    check(saved.lines.length === 1 && saved.zones.length === 1, `one line and one zone saved (${JSON.stringify(saved)})`);
    check(near(line.start.x, 0.2) && near(line.start.y, 0.5) && near(line.end.x, 0.8) && near(line.end.y, 0.3), `line coordinates ${JSON.stringify(line)}`);
    check(line.in === 'right', 'the flipped direction is saved');
    const corners = saved.zones[0].polygon;
    check(corners.length === 4 && near(corners[2].x, 0.4) && near(corners[2].y, 0.9), `zone corners ${JSON.stringify(corners)}`);
    check(saved.stream_type === 'file' && saved.settings.loop_file === true, 'stream type and settings saved');

    step('camera editor: test connection');
    await page.getByRole('button', { name: 'Test connection' }).click();
    const probe = page.getByTestId('probe-result');
    await probe.waitFor({ timeout: 20_000 });
    const probeText = await probe.textContent();
    check(probeText.startsWith('Connected'), `probe result: ${probeText}`);
    // Give the new camera a moment to produce its first snapshot for the screenshot.
    await page.waitForTimeout(3000);
    await page.reload();
    await page.getByTestId('line-0').waitFor();
    await screenshot(page, 'camera-editor-light');

    step('history: the chart has data');
    await page.getByRole('link', { name: 'History' }).click();
    await page.getByLabel('Range').selectOption('1h');
    await page.waitForFunction(() => /^[1-9]\d* minute buckets/.test(document.querySelector('[data-testid="history-summary"]')?.textContent ?? ''), null, { timeout: LIVE_TIMEOUT });
    check((await page.locator('[data-testid="chart-occupancy"] polyline').count()) > 0, 'the occupancy chart has a line');
    await screenshot(page, 'history-light');
    await page.getByRole('button', { name: 'Table' }).click();
    await page.getByTestId('history-table').waitFor();
    await screenshot(page, 'history-table-light');

    step('users, audit log, account');
    const viewerPassword = 'Viewer-pass-2026';
    await api(base, adminToken, 'POST', '/api/v1/users', { username: 'viewer1', email: 'viewer1@example.com', password: viewerPassword, role: 'viewer' });
    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByRole('rowheader', { name: 'viewer1' }).waitFor();
    await screenshot(page, 'users-light');
    // Role change and deactivation through the page, checked through the API.
    const temp = await api(base, adminToken, 'POST', '/api/v1/users', { username: 'temp1', email: 'temp1@example.com', password: 'Temporary-2026', role: 'viewer' });
    await page.reload();
    await page.getByLabel('Role of temp1').selectOption('user');
    const tempUser = async () => (await api(base, adminToken, 'GET', '/api/v1/users')).find((u) => u.id === temp.id);
    for (let i = 0; i < 50 && (await tempUser()).role !== 'user'; i += 1) await page.waitForTimeout(100);
    check((await tempUser()).role === 'user', 'role changed from the Users page');
    await page.getByRole('row', { name: /temp1/ }).getByRole('button', { name: 'Deactivate' }).click();
    await page.getByRole('row', { name: /temp1/ }).getByText('deactivated').waitFor();
    check((await tempUser()).is_active === false, 'deactivated from the Users page');
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('cell', { name: 'camera.create' }).first().waitFor();
    await screenshot(page, 'audit-light');
    await page.getByRole('link', { name: 'Account' }).click();
    await page.getByText('(this one)').waitFor();
    await screenshot(page, 'account-light');

    step('dark theme');
    await page.emulateMedia({ colorScheme: 'dark' });
    for (const [path, name, ready] of [
      ['/', 'overview-dark', () => page.getByTestId(`camera-card-${demo.id}`).waitFor()],
      [`/cameras/${demo.id}`, 'camera-detail-dark', () => page.waitForFunction(() => (document.querySelector('[data-testid="mjpeg"]')?.naturalWidth ?? 0) > 0)],
      [`/cameras/${cameraId}/edit`, 'camera-editor-dark', () => page.getByTestId('line-0').waitFor()],
      ['/history', 'history-dark', () => page.getByTestId('history-summary').waitFor()],
    ]) {
      await page.goto(base + path);
      await ready();
      await screenshot(page, name);
    }

    step('benchmarks');
    const loads = [];
    for (let i = 0; i < 5; i += 1) {
      const fresh = await context.newPage();
      await fresh.goto(base + '/');
      await fresh.getByTestId(`camera-card-${demo.id}`).waitFor();
      loads.push(await fresh.evaluate(() => performance.now()));
      await fresh.close();
    }
    await page.goto(base + '/');
    await page.getByTestId(`camera-card-${demo.id}`).waitFor();
    // Frame-caused updates come when occupancy changes or someone crosses the line (the
    // demo's people come and go every ~15 s); periodic refreshes every result interval.
    // FOOTFALL_E2E_LATENCY_S (default 30) watches longer for more samples.
    await page.waitForTimeout(1000 * Number(process.env.FOOTFALL_E2E_LATENCY_S ?? 30));
    const latency = await page.evaluate(() => window.__footfallLatency ?? []);
    const delivery = await page.evaluate(() => window.__footfallDelivery ?? []);
    check(latency.length + delivery.length > 0, 'count messages reached the overview');

    step('viewer: no edit controls');
    const viewerContext = await browser.newContext({ viewport: { width: 1024, height: 800 }, colorScheme: 'dark' });
    const viewer = await viewerContext.newPage();
    await login(viewer, base, 'viewer1', viewerPassword);
    await viewer.getByTestId(`camera-card-${demo.id}`).waitFor();
    check((await viewer.getByRole('link', { name: 'Add camera' }).count()) === 0, 'viewer sees no "Add camera"');
    check((await viewer.getByRole('link', { name: 'Users' }).count()) === 0, 'viewer sees no Users page');
    check((await viewer.getByRole('link', { name: 'Audit log' }).count()) === 0, 'viewer sees no Audit page');
    await screenshot(viewer, 'viewer-overview-dark');
    await viewer.getByRole('link', { name: 'Demo' }).click();
    await viewer.getByRole('heading', { name: 'Demo' }).waitFor();
    check((await viewer.getByRole('link', { name: 'Edit' }).count()) === 0, 'viewer sees no Edit');
    check((await viewer.getByRole('button', { name: 'Delete' }).count()) === 0, 'viewer sees no Delete');
    await viewer.goto(`${base}/cameras/${demo.id}/edit`);
    await viewer.getByRole('heading', { name: 'Not allowed' }).waitFor();
    await viewerContext.close();

    step('logout ends the session: login form, and the refresh cookie no longer works');
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    const refreshStatus = await page.evaluate(async () => (await fetch('/api/v1/auth/refresh', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status);
    check(refreshStatus === 401, `refresh after logout answers 401 (got ${refreshStatus})`);
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    check(pageErrors.length === 0, `no uncaught page errors: ${pageErrors.join('; ')}`);

    await firstRunSetup(browser);

    const ms = (v) => `${Math.round(v)} ms`;
    console.log(`bench: load to interactive (navigation start -> camera cards), median of 5: ${ms(quantile(loads, 0.5))} (max ${ms(Math.max(...loads))}; target < 1000 ms)`);
    console.log(`bench: live latency (frame read from ffmpeg -> DOM commit), n=${latency.length}: p50 ${ms(quantile(latency, 0.5))}, p95 ${ms(quantile(latency, 0.95))} (target p95 < 250 ms)`);
    console.log(`bench: periodic refresh (server publish -> DOM commit), n=${delivery.length}: p50 ${ms(quantile(delivery, 0.5))}, p95 ${ms(quantile(delivery, 0.95))}`);
    console.log(`e2e: passed; screenshots in ${shots}`);
  } catch (e) {
    // What the browser showed when it failed.
    let n = 0;
    for (const context of browser.contexts()) {
      for (const open of context.pages()) await open.screenshot({ path: join(shots, `FAILED-${++n}.png`), fullPage: true }).catch(() => undefined);
    }
    throw e;
  } finally {
    await browser.close().catch(() => undefined);
    server.stop();
  }
}

run().catch((e) => {
  console.error(`e2e: FAILED: ${e.stack ?? e}`);
  process.exit(1);
});
