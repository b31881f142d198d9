// Stopping a consumer cleanly on SIGTERM / SIGINT, for both consumers: each signal stops it once, and then, if nothing
// else listens, is raised again so that its default action (ending the process) still happens.

/**
 * Listens for `signals` until the returned function is called.
 *
 * @param {string[]} signals e.g. ['SIGTERM', 'SIGINT']; [] to listen for none
 * @param {() => Promise<void>} stop the consumer's stop()
 * @param {(error: unknown) => void} onError
 * @returns {() => void} stops listening
 */
export function stopOnSignals(signals, stop, onError) {
  const listeners = signals.map((signal) => {
    const listener = async () => {
      try {
        await stop();
      } catch (error) {
        onError(error);
      }
      // Without other listeners the signal's default action was to end the process: raise it again for that.
      if (process.listenerCount(signal) === 0) {
        process.kill(process.pid, signal);
      }
    };
    process.once(signal, listener);
    return [signal, listener];
  });
  return () => listeners.forEach(([signal, listener]) => process.removeListener(signal, listener));
}
