import { runDevbind } from './devbind.js';

// The bin entry point: runs on import, so bin/eal-devbind.js only has to import it.
process.exitCode = await runDevbind(process.argv.slice(2), {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  env: process.env,
});
