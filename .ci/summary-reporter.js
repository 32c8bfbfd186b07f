// jest reporter: ends the run with one plain line "jest: N passed, N failed, N skipped"
// (printed at process exit, after jest's own summary, so it is the closing line).
class SummaryReporter {
  onRunComplete(_contexts, r) {
    const skipped = r.numPendingTests + r.numTodoTests;
    const line = `jest: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped\n`;
    process.once('exit', () => process.stdout.write(line));
  }
}
module.exports = SummaryReporter;
