// What the DPDK side of the hotplug bench needs from the machine: DPDK's own
// examples/multi_process/hotplug_mp built from dpdk-doc's sources with
// libdpdk-dev (in a temporary folder, at run time, never kept), 2 MiB
// hugepages, and a hugetlbfs mount. As root it reserves and mounts what is
// missing and `undo` puts the machine back as it found it.
import { execFile } from 'node:child_process';
import { access, cp, mkdtemp, readFile, readdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { onInterrupt } from '../cleanup.js';

const run = promisify(execFile);

export const EXAMPLE_SOURCE = '/usr/share/dpdk/examples/multi_process/hotplug_mp';
const NR_HUGEPAGES = '/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages';
const FREE_HUGEPAGES = '/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages';
/** The DPDK primary runs with `-m 64`: 32 pages of 2 MiB, plus headroom. */
export const HUGEPAGES_NEEDED = 48;

export interface DpdkSetup {
  readonly binary: string;
  readonly hugeDir: string;
  /** What was done to the machine, for the report. */
  readonly notes: readonly string[];
  /** Removes the build, and unmounts / gives back hugepages this bench set up. */
  undo(): Promise<void>;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

async function hugetlbfsMount(): Promise<string | null> {
  const mounts = await readFile('/proc/mounts', 'utf8');
  for (const line of mounts.split('\n')) {
    const [, dir, type, options] = line.split(' ');
    if (type === 'hugetlbfs' && dir && !/pagesize=(?!2M)/.test(options ?? '')) return dir;
  }
  return null;
}

/** Why DPDK cannot be measured here, or null when it can be. */
export async function dpdkUnavailable(): Promise<string | null> {
  if (!(await exists(join(EXAMPLE_SOURCE, 'Makefile')))) return `no ${EXAMPLE_SOURCE} (install dpdk-doc)`;
  try {
    await run('pkg-config', ['--exists', 'libdpdk']);
  } catch {
    return 'pkg-config finds no libdpdk (install libdpdk-dev)';
  }
  if (!(await exists(NR_HUGEPAGES))) return 'this kernel has no 2 MiB hugepages';
  const isRoot = process.getuid?.() === 0;
  const free = Number((await readFile(FREE_HUGEPAGES, 'utf8')).trim());
  if (!isRoot && free < HUGEPAGES_NEEDED) return `only ${free} free 2 MiB hugepages and not root to reserve ${HUGEPAGES_NEEDED}`;
  if (!isRoot && (await hugetlbfsMount()) === null) return 'no hugetlbfs mounted and not root to mount one';
  return null;
}

/** Builds the example and makes sure hugepages are there. Call `dpdkUnavailable` first. */
export async function setUpDpdk(workDir: string): Promise<DpdkSetup> {
  const notes: string[] = [];
  const undoSteps: (() => Promise<void>)[] = [];
  const undo = async (): Promise<void> => {
    unregister();
    for (const step of undoSteps.splice(0).reverse()) await step().catch(() => undefined);
  };
  const unregister = onInterrupt(undo);
  try {
    const buildDir = await mkdtemp(join(workDir, 'hotplug_mp-'));
    undoSteps.push(() => rm(buildDir, { recursive: true, force: true }));
    await cp(EXAMPLE_SOURCE, buildDir, { recursive: true });
    await run('make', ['-C', buildDir], { maxBuffer: 16 << 20 });
    const binary = join(buildDir, 'build', 'hotplug_mp');
    notes.push(`built DPDK's hotplug_mp from ${EXAMPLE_SOURCE} in a temporary folder`);

    const free = Number((await readFile(FREE_HUGEPAGES, 'utf8')).trim());
    if (free < HUGEPAGES_NEEDED) {
      const before = (await readFile(NR_HUGEPAGES, 'utf8')).trim();
      const wanted = Number(before) + HUGEPAGES_NEEDED - free;
      await writeFile(NR_HUGEPAGES, String(wanted));
      undoSteps.push(() => writeFile(NR_HUGEPAGES, before));
      const got = Number((await readFile(FREE_HUGEPAGES, 'utf8')).trim());
      if (got < HUGEPAGES_NEEDED) throw new Error(`asked the kernel for ${wanted} hugepages but only ${got} are free`);
      notes.push(`reserved hugepages: nr_hugepages ${before} -> ${wanted} (restored after)`);
    }
    let hugeDir = await hugetlbfsMount();
    if (hugeDir === null) {
      const dir = await mkdtemp(join(workDir, 'huge-'));
      await run('mount', ['-t', 'hugetlbfs', '-o', 'pagesize=2M', 'nodev', dir]);
      undoSteps.push(async () => {
        await run('umount', [dir]);
        await rmdir(dir);
      });
      hugeDir = dir;
      notes.push(`mounted hugetlbfs at ${dir} (unmounted after)`);
    }
    return { binary, hugeDir, notes, undo };
  } catch (error) {
    await undo();
    throw error;
  }
}

/** DPDK leaves `<prefix>map_<n>` files in the hugetlbfs mount; they hold hugepages until removed. */
export async function removeHugepageFiles(hugeDir: string, prefix: string): Promise<void> {
  const names = await readdir(hugeDir).catch(() => [] as string[]);
  await Promise.all(names.filter((n) => n.startsWith(`${prefix}map_`)).map((n) => rm(join(hugeDir, n), { force: true })));
}
