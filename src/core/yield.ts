/**
 * Lets the event loop run during a long loop of awaits. On tfjs-wasm and tfjs-cpu every `await tensor.data()`
 * resolves as a microtask, so a training loop never reaches the event loop: a Ctrl-C handler (which aborts the
 * run and removes temp folders), timers and progress flushes would wait for the whole run. Cheap enough to call per
 * batch: it only yields when `everyMs` has passed since the last yield.
 */
const defer: (resolve: () => void) => void =
  typeof setImmediate === 'function' ? (resolve) => { setImmediate(resolve); } : (resolve) => { setTimeout(resolve, 0); };

let lastYield = 0;

export async function yieldToEventLoop(everyMs = 50): Promise<void> {
  const now = Date.now();
  if (now - lastYield < everyMs) return;
  lastYield = now;
  await new Promise<void>(defer);
}
