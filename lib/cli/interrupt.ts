/**
 * Ctrl-C for the training verbs: the first press aborts the ambient signal every training loop
 * checks (the loop stops after its current update and the verb still saves), a second exits at once
 * with 130. `installCtrlC(what)` installs it and returns the function that removes it.
 */
import { AbortError, setAmbientSignalProvider } from "../core/abort";

export function installCtrlC(what = "update"): () => void {
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    console.error(`\ntsrl: interrupted — stopping after this ${what} and saving (Ctrl-C again to quit now)`);
    controller.abort(new AbortError("interrupted by Ctrl-C"));
  };
  process.on("SIGINT", onSigint);
  setAmbientSignalProvider(() => controller.signal);
  return () => {
    process.off("SIGINT", onSigint);
    setAmbientSignalProvider(undefined);
  };
}
