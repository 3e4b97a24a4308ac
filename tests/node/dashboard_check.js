// dashboard_check.js - drives the daemon's web dashboard in headless
// Chromium (puppeteer-core, Debian's chromium) for tests/e2e/test_dashboard.py:
//
//   node dashboard_check.js <url with #token=...> <app> <screenshot dir>
//
// Opens the page, waits for the app's instances in the table, checks that
// the live charts get points, that the token left the address bar for
// sessionStorage, that a POST without the token is refused (401), clicks
// "scale +1" and waits for the new instance to show, waits for the log tail
// to show a line the app printed, and takes screenshots. Prints one JSON
// object with what it saw; exits 1 on a failed check (the JSON says which).
'use strict';
const path = require('path');
const puppeteer = require('puppeteer-core');

const [url, app, shots] = process.argv.slice(2);
const result = { checks: [] };
const step = (name, extra) => result.checks.push(Object.assign({ name }, extra || {}));

async function main() {
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: 'new',
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
           '--no-first-run', '--disable-extensions'],
    defaultViewport: { width: 1200, height: 800 },
  });
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    await page.goto(url, { waitUntil: 'load', timeout: 10000 });

    const rows = (n) => page.waitForFunction(
      (a, k) => document.querySelectorAll(`tr.inst[data-app="${a}"]`).length === k,
      { timeout: 15000 }, app, n);
    await page.waitForSelector(`tr.app[data-app="${app}"]`, { timeout: 10000 });
    result.instances_before = await page.$$eval(`tr.inst[data-app="${app}"]`, (r) => r.length);
    step('listed');

    result.fragment_after = await page.evaluate(() => location.hash);
    result.token_stored = await page.evaluate(() => !!sessionStorage.getItem('drover-token'));

    // the charts grow with the stream
    const id = await page.$eval(`tr.inst[data-app="${app}"]`, (r) => Number(r.dataset.id));
    const before = await page.evaluate((i) => [window.__dash.snapshots(), window.__dash.points(i)], id);
    await page.waitForFunction((i, p) => window.__dash.points(i) >= p + 2, { timeout: 8000 }, id, before[1]);
    const after = await page.evaluate((i) => [window.__dash.snapshots(), window.__dash.points(i)], id);
    result.snapshots = [before[0], after[0]];
    result.points = [before[1], after[1]];
    result.chart_pixels = await page.$eval('#cpu-chart', (c) => {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let lit = 0;
      for (let k = 0; k < d.length; k += 4) if (d[k + 3] > 0) lit++;
      return lit;
    });
    step('charts');

    // no token: refused, whatever the page would do
    result.no_token_status = await page.evaluate(async (a) => {
      const r = await fetch(`/api/apps/${a}/scale`, { method: 'POST', body: '{"delta":1}' });
      return r.status;
    }, app);
    step('refused without token');

    // the log tail shows what the app printed
    await page.waitForFunction(() => /listening on/.test(document.querySelector('#log').textContent),
      { timeout: 10000 });
    result.log_excerpt = await page.$eval('#log', (p) => p.textContent.split('\n').find((l) => /listening on/.test(l)));
    await page.waitForFunction(() => document.querySelectorAll('#describe dt').length > 3, { timeout: 5000 });
    result.describe_keys = await page.$$eval('#describe dt', (d) => d.map((x) => x.textContent));
    step('logs and describe');
    await page.screenshot({ path: path.join(shots, 'dashboard-before.png') });

    // an action with the token
    await page.waitForFunction(() => !document.querySelector('button[data-action="scale"][data-delta="1"]').disabled,
      { timeout: 5000 });
    await page.click('button[data-action="scale"][data-delta="1"]');
    await page.waitForFunction(() => /under way/.test(document.querySelector('#msg').textContent), { timeout: 5000 });
    await rows(result.instances_before + 1);
    result.instances_after = await page.$$eval(`tr.inst[data-app="${app}"]`, (r) => r.length);
    step('scaled');
    // a few more points on the charts for the screenshot
    await page.waitForFunction((i, p) => window.__dash.points(i) >= p + 3, { timeout: 8000 }, id, after[1]);
    await page.screenshot({ path: path.join(shots, 'dashboard.png') });
    result.errors = errors;
  } finally {
    await browser.close();
  }
}

main().then(() => {
  console.log(JSON.stringify(result));
}, (e) => {
  result.failed = String(e && e.stack || e);
  console.log(JSON.stringify(result));
  process.exit(1);
});
