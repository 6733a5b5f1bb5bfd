// hotplug-mp <EAL args> [-- app args]: DPDK's examples/multi_process/hotplug_mp.
import { init, type Eal } from '@eal-ts/eal';
import { appContext } from './app_context.js';
import { interact } from './cmdline.js';

async function main(argv: string[]): Promise<number> {
  let eal: Eal;
  try {
    eal = await init(argv, { prgname: 'hotplug-mp' });
  } catch {
    // init has already said what was wrong (and printed the usage, for a bad option).
    return 1;
  }
  // Application arguments (after `--`): --json prints observer events as JSON lines.
  const json = eal.args.includes('--json');
  if (eal.hotplug.observer) {
    const write = (line: string): void => void process.stdout.write(line + '\n');
    if (json) write(JSON.stringify({ event: 'devices', devices: eal.hotplug.mirror }));
    else write(`observing the primary's hotplug; devices: ${eal.hotplug.mirror.join(' ') || 'none'}`);
    eal.hotplug.on('observed', (e) => {
      if (json) write(JSON.stringify({ event: 'observed', ...e }));
      else write(`observed ${e.type} ${e.devargs}: devices: ${e.devices.join(' ') || 'none'}`);
    });
  }
  const stop = new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  try {
    await interact(appContext(eal), { input: process.stdin, output: process.stdout }, stop);
  } finally {
    await eal.cleanup();
  }
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
