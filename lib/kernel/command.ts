/**
 * `tsrl kernel …`:
 *   tsrl kernel --connection-file FILE      run the kernel (this is what kernel.json's argv says)
 *   tsrl kernel install [--name NAME] [--prefix DIR | --sys-prefix] [--force]
 *                                           register the kernel with Jupyter (install.ts)
 */
import { parseCommand, type CommandSpec } from "../cli/args";
import { installCommand } from "./install";

const RUN_SPEC: CommandSpec = {
  usage: "tsrl kernel --connection-file FILE  |  tsrl kernel install --help",
  positionals: [],
  flags: [{ name: "connection-file", type: "string", help: "the connection file Jupyter wrote (ports and key)" }],
};

export async function kernelCommand(args: string[]): Promise<number> {
  if (args[0] === "install") return installCommand(args.slice(1));
  const parsed = parseCommand("kernel", args, RUN_SPEC, "Runs the TypeScript (tsrl) Jupyter kernel; Jupyter starts it from the kernel spec.");
  if (typeof parsed === "number") return parsed;
  const file = parsed.flags["connection-file"] as string | undefined;
  if (!file) {
    console.error(`tsrl kernel: --connection-file is required; usage: ${RUN_SPEC.usage}`);
    return 2;
  }
  const { readConnectionFile, startKernel } = await import("./kernel");
  const kernel = await startKernel(readConnectionFile(file));
  await kernel.done;
  // zeromq keeps the loop alive through native handles; leave explicitly once the channels are closed.
  process.exit(0);
}
