/**
 * `tsrl kernel …`:
 *   tsrl kernel --connection-file FILE      run the kernel (this is what kernel.json's argv says): a
 *                                           supervisor process that runs the kernel as its child and
 *                                           reports what kills or freezes it (supervisor.ts)
 *   tsrl kernel --connection-file FILE --no-supervisor
 *                                           the kernel alone, in this process
 *   tsrl kernel install [--name NAME] [--prefix DIR | --sys-prefix] [--force]
 *                                           register the kernel with Jupyter (install.ts)
 */
import fs from "node:fs";
import { parseCommand, type CommandSpec } from "./args";
import type { ConnectionInfo } from "../kernel/channels";
import { installCommand } from "./kernel-install";

const RUN_SPEC: CommandSpec = {
  usage: "tsrl kernel --connection-file FILE [--no-supervisor]  |  tsrl kernel install --help",
  positionals: [],
  flags: [
    { name: "connection-file", type: "string", help: "the connection file Jupyter wrote (ports and key)" },
    { name: "supervisor", type: "boolean", help: "run the kernel under a supervisor process that reports a kernel that dies or hangs (--no-supervisor: the kernel alone)", default: true },
  ],
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
  let info: ConnectionInfo;
  try {
    info = JSON.parse(fs.readFileSync(file, "utf8")) as ConnectionInfo;
  } catch (err) {
    console.error(`tsrl kernel: cannot read the connection file ${file}: ${(err as Error).message}`);
    return 1;
  }
  if (parsed.flags.supervisor !== false) return (await import("../kernel/supervisor")).superviseKernel(file, info);

  // Cells run in this process: process.exit and friends throw in them (process-guard.ts); the kernel leaves by `guard.exit`.
  const { guardProcess } = await import("../kernel/process-guard");
  const guard = guardProcess();
  const { linkToSupervisor } = await import("../kernel/supervision");
  const { startKernel } = await import("../kernel/kernel");
  const kernel = await startKernel(info, process.cwd(), linkToSupervisor((code) => guard.exit(code)));
  await kernel.done;
  // zeromq keeps the loop alive through native handles; leave explicitly once the channels are closed.
  return guard.exit(0);
}
