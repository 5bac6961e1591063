/**
 * `tsrl <verb> …` — each verb lives in its own module under lib/cli/ and is loaded only when used,
 * so `tsrl kernel` does not pay for TensorFlow.js and `tsrl train` does not pay for ZeroMQ.
 */

import { reportError } from "./errors";

export type Verb = (args: string[]) => Promise<number>;

const verbs: Record<string, { summary: string; load: () => Promise<Verb> }> = {
  train: {
    summary: "train an agent:  tsrl train reinforce CartPole-v1 --seed 1 --out runs/x  (a language model: tsrl train grpo GPT2 --model DIR|tiny --reward SPEC; a conversation agent: tsrl train grpo OrderDesk-v0)",
    load: async () => (await import("./train")).trainCommand,
  },
  eval: {
    summary: "evaluate a checkpoint:  tsrl eval runs/x --episodes 100 --json  (a conversation agent: tsrl eval DIR --tasks FILE --json)",
    load: async () => {
      const conv = await import("./eval-conversation");
      return async (args) => (conv.conversationRun(args.find((a) => !a.startsWith("-"))) ? conv.evalConversationCommand(args) : (await import("./eval")).evalCommand(args));
    },
  },
  serve: {
    summary: "drive a trained agent (or a GPT-2's completions) over JSON lines or HTTP:  tsrl serve runs/x --stdio | --port 8000",
    load: async () => {
      const { isGpt2Directory } = await import("../nn/gpt2/load");
      const conv = await import("./eval-conversation");
      return async (args) => {
        // a conversation agent (a GPT-2 directory with grpo_run.json naming a conversation env): its chat
        if (args.some((a) => !a.startsWith("-") && conv.conversationRun(a))) return (await import("./serve-chat")).serveChatCommand(args);
        // any argument that is a GPT-2 directory (a flag's value, say --port's, is not one)
        return args.some((a) => !a.startsWith("-") && isGpt2Directory(a)) ? (await import("./serve-gpt2")).serveGpt2Command(args) : (await import("./serve")).serveCommand(args);
      };
    },
  },
  playground: { summary: "the course's app in a browser (train, watch, play, edit):  tsrl playground [--port 8501] [--no-open]", load: async () => (await import("./playground")).playgroundCommand },
  export: { summary: "export a GPT-2 GRPO run for TRL:  tsrl export trl runs/grpo-gpt2 --out trl-grpo-gpt2", load: async () => (await import("./export")).exportCommand },
  run: { summary: "run a TypeScript script that imports tsrl:  tsrl run my-script.ts", load: async () => (await import("./run")).runCommand },
  kernel: { summary: "the Jupyter kernel:  tsrl kernel install | tsrl kernel --connection-file F", load: async () => (await import("./kernel")).kernelCommand },
  lab: { summary: "open JupyterLab (or the classic notebook) on notebooks/", load: async () => (await import("./lab")).labCommand },
  bench: { summary: "speed benchmarks, JSON out:  tsrl bench [--out FILE]", load: async () => (await import("./bench")).benchCommand },
};

export function usage(): string {
  const width = Math.max(...Object.keys(verbs).map((name) => name.length));
  const lines = Object.entries(verbs).map(([name, v]) => `  ${name.padEnd(width)} ${v.summary}`);
  return ["usage: tsrl <verb> [options]", "", ...lines].join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  if (!verb || verb === "--help" || verb === "-h" || verb === "help") {
    console.log(usage());
    return verb ? 0 : 2;
  }
  const entry = verbs[verb];
  if (!entry) {
    console.error(`tsrl: unknown verb '${verb}'\n\n${usage()}`);
    return 2;
  }
  try {
    return await (await entry.load())(rest);
  } catch (err) {
    return reportError(verb, err); // a user's mistake is one line and exit 2 or 1; only tsrl's own bugs show a stack
  }
}
