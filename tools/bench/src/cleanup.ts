// What must be undone if the bench is interrupted (SIGINT, SIGTERM): live
// processes to SIGKILL by pid, hugepage and mount changes to revert. Normal
// paths undo their own work in finally blocks and unregister here.
const steps = new Set<() => void | Promise<void>>();

/** Registers an undo step; returns the function that unregisters it. */
export function onInterrupt(step: () => void | Promise<void>): () => void {
  steps.add(step);
  return () => void steps.delete(step);
}

/** Runs every registered step, newest first (processes before the setup they ran on). */
export async function runInterruptSteps(): Promise<void> {
  for (const step of [...steps].reverse()) {
    steps.delete(step);
    try {
      await step();
    } catch {
      // keep undoing the rest
    }
  }
}
