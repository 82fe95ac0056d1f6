import { Session } from './session';

/** The one session of this page. */
export const session = new Session({
  fetch: (input, init) => window.fetch(input, init),
  now: () => Date.now(),
  setTimer: (fn, ms) => window.setTimeout(fn, ms),
  clearTimer: (handle) => window.clearTimeout(handle as number),
});
