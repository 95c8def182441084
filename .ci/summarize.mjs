// Prints the closing line CI reads: "N passed, N failed" from vitest's JSON report.
import { existsSync, readFileSync } from 'node:fs';

const [reportPath, exitCode] = process.argv.slice(2);
if (!reportPath || !existsSync(reportPath)) {
  // The run stopped before the tests (install, lint or type errors): count that as one failure.
  console.log(`0 passed, ${exitCode === '0' ? 0 : 1} failed`);
} else {
  const report = JSON.parse(readFileSync(reportPath, 'utf8'));
  const failed = report.numFailedTests + (exitCode !== '0' && report.numFailedTests === 0 ? 1 : 0);
  console.log(`${report.numPassedTests} passed, ${failed} failed`);
}
