// Run Lighthouse (mobile: its default emulated phone, simulated slow 4G and 4x slower CPU) on each
// URL named on the command line, in one Chromium (CHROME_PATH), and print as JSON for each URL its
// four category scores and, for any audit below full marks, its title and score.
import lighthouse from "lighthouse";
import * as chromeLauncher from "chrome-launcher";

const chrome = await chromeLauncher.launch({
  chromePath: process.env.CHROME_PATH || "/usr/bin/chromium",
  chromeFlags: ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
});
const result = {};
try {
  for (const url of process.argv.slice(2)) {
    const { lhr } = await lighthouse(url, {
      port: chrome.port, output: "json", logLevel: "error",
      onlyCategories: ["performance", "accessibility", "best-practices", "seo"],
    });
    const failing = {};
    for (const category of Object.values(lhr.categories)) {
      for (const ref of category.auditRefs) {
        const audit = lhr.audits[ref.id];
        if (ref.weight > 0 && audit.score !== null && audit.score < 1) {
          failing[ref.id] = { title: audit.title, score: audit.score, value: audit.displayValue || "" };
        }
      }
    }
    result[url] = {
      scores: Object.fromEntries(Object.entries(lhr.categories).map(([id, c]) => [id, Math.round(c.score * 100)])),
      metrics: Object.fromEntries(["first-contentful-paint", "largest-contentful-paint", "total-blocking-time",
        "cumulative-layout-shift", "speed-index"].map((id) => [id, lhr.audits[id].numericValue])),
      failing,
      runtimeError: lhr.runtimeError ? lhr.runtimeError.message : null,
    };
  }
} finally {
  await chrome.kill();
}
console.log(JSON.stringify(result, null, 1));
