// One run at a time of work that many callers ask for (the agent's status writes and host
// observations, from timers, watch events and reconciles).

/**
 * Wraps work so runs never overlap. A call made while a run is under way is answered by one
 * further run that starts after it — calls made meanwhile share that run — so every caller gets
 * a run that began after its call, and a burst of calls costs at most two runs.
 */
export function coalesced(work: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  let queued: Promise<void> | undefined;
  const call = (): Promise<void> => {
    if (running) {
      const next = () => {
        queued = undefined;
        return call();
      };
      queued ??= running.then(next, next);
      return queued;
    }
    running = work().finally(() => {
      running = undefined;
    });
    return running;
  };
  return call;
}
