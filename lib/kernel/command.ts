/**
 * `tsrl kernel …`:
 *   tsrl kernel --connection-file FILE      run the kernel (this is what kernel.json's argv says)
 *   tsrl kernel install [--user | --prefix P | --sys-prefix] [--if-jupyter]
 *                                           register the kernel with Jupyter
 */
import { installCommand } from "./install";

export async function kernelCommand(args: string[]): Promise<number> {
  if (args[0] === "install") return installCommand(args.slice(1));
  const at = args.findIndex((a) => a === "--connection-file" || a === "-f");
  const file = at >= 0 ? args[at + 1] : args.find((a) => a.startsWith("--connection-file="))?.split("=")[1];
  if (!file) {
    console.error("usage: tsrl kernel --connection-file FILE\n       tsrl kernel install [--user | --prefix DIR] [--if-jupyter]");
    return 2;
  }
  const { readConnectionFile, startKernel } = await import("./kernel");
  const kernel = await startKernel(readConnectionFile(file));
  await kernel.done;
  // zeromq keeps the loop alive through native handles; leave explicitly once the channels are closed.
  process.exit(0);
}
