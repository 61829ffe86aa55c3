/**
 * nock 15 runs on @mswjs/interceptors, which calls Promise.withResolvers (Node 22+) when a
 * request is intercepted; Node 20 lacks it. Loaded before every test file.
 */
const promiseStatics = Promise as unknown as { withResolvers?: () => unknown };
if (typeof promiseStatics.withResolvers !== 'function') {
  promiseStatics.withResolvers = () => {
    let resolve: (value: unknown) => void = () => undefined;
    let reject: (reason: unknown) => void = () => undefined;
    const promise = new Promise((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}
