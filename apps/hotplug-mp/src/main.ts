// hotplug-mp <EAL args> [-- app args]: DPDK's examples/multi_process/hotplug_mp.
import { type Eal, EalArgsError, EalHelpRequested, usage } from '@eal-ts/eal';
import { interact, scriptInput } from './cmdline.js';
import { PRGNAME, appContext, initEal } from './eal_app.js';

async function main(argv: string[]): Promise<number> {
  let eal: Eal;
  try {
    eal = await initEal(argv);
  } catch (error) {
    // -h, --log-level=help: the text on stdout, then exit 0, as DPDK's rte_eal_init.
    if (error instanceof EalHelpRequested) {
      process.stdout.write(error.text);
      return error.exitCode;
    }
    // init has already said what was wrong; for a bad option the usage follows, as in DPDK.
    if (error instanceof EalArgsError) process.stdout.write(usage(PRGNAME));
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
    await interact(appContext(eal), { input: scriptInput(0) ?? process.stdin, output: process.stdout }, stop);
  } finally {
    await eal.cleanup();
  }
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
