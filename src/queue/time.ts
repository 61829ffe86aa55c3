/** Rejects with `onTimeout()` when `work` has not settled within `timeoutMs`. */
export async function withTimeout<T>(work: Promise<T>, timeoutMs: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), timeoutMs);
  });
  try {
    // `work` keeps running after a timeout; race() has subscribed to it, so a late
    // rejection is handled rather than becoming an unhandled rejection.
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
