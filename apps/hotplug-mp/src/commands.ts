// The commands of DPDK's hotplug_mp example (commands.c), printing the same
// lines so that a script written for one drives the other. Where DPDK prints
// only that something failed, a second line says why.
import { parseDevargs, type BusLookup } from '@eal-ts/bus';

/** What the commands need from the EAL. */
export interface HotplugAppContext {
  readonly buses: BusLookup;
  hotplugAdd(bus: string, name: string, args: string): Promise<unknown>;
  hotplugRemove(bus: string, name: string): Promise<unknown>;
  /** This process's ports, by id. */
  ports(): Promise<readonly { readonly portId: number; readonly name: string }[]>;
}

export const COMMANDS = ['help', 'list', 'attach', 'detach', 'quit'] as const;

export type CommandResult = 'continue' | 'quit';

/** The reason line after a DPDK-compatible failure line: errno name and message. */
export function reason(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === 'string' ? `error: ${code}: ${message}` : `error: ${message}`;
}

/** Runs one command line; `print` receives whole lines without their newline. */
export async function runCommand(line: string, app: HotplugAppContext, print: (line: string) => void): Promise<CommandResult> {
  const [command, ...args] = line.trim().split(/\s+/);
  if (!command) return 'continue';
  // Like DPDK's cmdline: a command matches only with exactly its tokens.
  const arity = command === 'attach' || command === 'detach' ? 1 : 0;
  if (!(COMMANDS as readonly string[]).includes(command) || args.length !== arity) {
    print('Bad arguments');
    return 'continue';
  }
  switch (command) {
    case 'help':
      print('commands:');
      print('- attach <devargs>');
      print('- detach <devargs>');
      print('- list');
      print('');
      return 'continue';
    case 'quit':
      return 'quit';
    case 'list':
      print('list all etherdev');
      for (const port of await app.ports()) print(`${port.portId}\t${port.name}`);
      return 'continue';
    case 'attach':
    case 'detach':
      await hotplug(command, args[0]!, app, print);
      return 'continue';
  }
  return 'continue';
}

async function hotplug(command: 'attach' | 'detach', text: string, app: HotplugAppContext, print: (line: string) => void): Promise<void> {
  let devargs;
  try {
    devargs = parseDevargs(app.buses, text);
  } catch (error) {
    print('cannot parse devargs');
    print(reason(error));
    return;
  }
  if (command === 'attach') {
    try {
      await app.hotplugAdd(devargs.bus, devargs.name, devargs.args);
      print(`attached device ${devargs.name}`);
    } catch (error) {
      print(`failed to attached device ${devargs.name}`); // sic: DPDK's wording, kept for scripts
      print(reason(error));
    }
    return;
  }
  print('detaching...');
  try {
    await app.hotplugRemove(devargs.bus, devargs.name);
    print(`detached device ${devargs.name}`);
  } catch (error) {
    print(`failed to detach device ${devargs.name}`);
    print(reason(error));
  }
}
