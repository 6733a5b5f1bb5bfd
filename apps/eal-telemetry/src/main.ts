import { runEalTelemetry } from './eal_telemetry.js';

const interrupted = new Promise<void>((resolve) => {
  process.once('SIGINT', () => resolve());
  process.once('SIGTERM', () => resolve());
});
process.exitCode = await runEalTelemetry(process.argv.slice(2), {
  stdin: process.stdin,
  output: process.stdout,
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  isTTY: process.stdin.isTTY === true,
  env: process.env,
  interrupted: () => interrupted,
});
// Nothing else holds the loop once the session ended (SIGINT listeners do not).
process.stdin.destroy();
