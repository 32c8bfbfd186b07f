// jest reporter (after jest's own):
//  - at the start, what the heavy targets are and whether they are cached (conformance/lib/heavy.js);
//  - at the end, every skipped test with its reason (from its title, "... -- skipped: <reason>",
//    or from the side channel that conformance/test_mmap/support.ts and conformance/lib/skips.js
//    write), without the code frames jest prints for console output;
//  - the closing line "jest: N passed, N failed, N skipped" (printed at exit, after jest's own
//    summary, so it is the last line).
'use strict';

const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');

class SummaryReporter {
  constructor() {
    // Workers inherit the environment when they start, after the reporters are made.
    if (!process.env.PYMMAP_CONFORMANCE_SKIPS) {
      const dir = path.join(ROOT, '.tmp', 'jest');
      fs.mkdirSync(dir, { recursive: true });
      this.sideChannel = path.join(dir, `skips-${process.pid}.jsonl`);
      fs.writeFileSync(this.sideChannel, '');
      process.env.PYMMAP_CONFORMANCE_SKIPS = this.sideChannel;
    }
  }

  onRunStart() {
    try {
      for (const line of require('../conformance/lib/heavy').banner()) process.stderr.write(`${line}\n`);
    } catch (e) {
      process.stderr.write(`(heavy targets: ${e.message})\n`);
    }
  }

  onRunComplete(_contexts, r) {
    const reasons = new Map();
    const side = process.env.PYMMAP_CONFORMANCE_SKIPS;
    if (side && fs.existsSync(side)) {
      for (const line of fs.readFileSync(side, 'utf8').split('\n')) {
        try {
          const rec = JSON.parse(line);
          if (rec.type === 'skip') reasons.set(`${rec.file}::${rec.suite}::${rec.name}`, rec.reason);
        } catch { /* not a record */ }
      }
    }
    const byReason = new Map();
    let count = 0;
    for (const file of r.testResults) {
      const rel = path.relative(ROOT, file.testFilePath).split(path.sep).join('/');
      for (const t of file.testResults) {
        if (!['pending', 'skipped', 'todo', 'disabled'].includes(t.status)) continue;
        const at = t.title.indexOf(' -- skipped: ');
        const title = at >= 0 ? t.title.slice(0, at) : t.title;
        const reason = at >= 0 ? t.title.slice(at + 13)
          : reasons.get(`${rel}::${t.ancestorTitles.join(' > ')}::${t.title}`) ?? '(no reason recorded)';
        if (!byReason.has(reason)) byReason.set(reason, []);
        const name = `${rel} > ${[...t.ancestorTitles, title].join(' > ')}`;
        byReason.get(reason).push(name.length > 96 ? `${name.slice(0, 58)}~${name.slice(-37)}` : name);
        count++;
      }
    }
    if (count) {
      const out = [`\nskipped (${count}), by reason:`];
      for (const [reason, names] of byReason) out.push(`  ${reason}`, ...names.map((n) => `    ${n}`));
      process.stderr.write(`${out.join('\n')}\n`);
    }
    if (this.sideChannel) fs.rmSync(this.sideChannel, { force: true });
    const line = `jest: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped\n`;
    process.once('exit', () => process.stdout.write(line));
  }
}

module.exports = SummaryReporter;
