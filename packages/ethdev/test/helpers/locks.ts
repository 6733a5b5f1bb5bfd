// Who holds POSIX record locks on a file, as the kernel lists them.
import { readFile, stat } from 'node:fs/promises';

/** Pids holding POSIX record locks on `path`, from one read of the kernel's own list (/proc/locks). */
export async function posixLockHolders(path: string): Promise<number[]> {
  const { ino } = await stat(path);
  const pids: number[] = [];
  for (const line of (await readFile('/proc/locks', 'utf8')).split('\n')) {
    // "1: POSIX  ADVISORY  WRITE 1234 08:01:5678 0 EOF"
    const fields = line.trim().split(/\s+/);
    if (fields[1] !== 'POSIX' || fields[2] === '->') continue;
    if (Number(fields[5]?.split(':')[2]) === ino) pids.push(Number(fields[4]));
  }
  return pids;
}
