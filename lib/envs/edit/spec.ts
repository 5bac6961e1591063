/**
 * EditAgent-v0's registry entry (lib/envs/registry.ts registers it). Its observation is an object
 * (./edit-agent.ts), so its policies act on that, not on a Float32Array; `observation.featurize`
 * gives networks the relational featuriser's flat vector (its observationSpace, ./features.ts). Its
 * report card (./evaluate.ts), GRPO's group start (one task for the group), the numbers a training
 * episode leaves (exact match, edits, the task's minimal edits) and the oracle's demonstrations for
 * a behaviour-cloning warm start (./oracle.ts).
 */
import type { EnvSpec } from "../../core/registry";
import type { EditObservation } from "./actions";
import { EDIT_MAX_STEPS, editAgentGroupStart, makeEditAgent, type EditAgentOptions } from "./edit-agent";
import { editAgentReport } from "./evaluate";
import { featurizeEditObservation } from "./features";
import { generateNonsense, nonsenseDemonstrations } from "./nonsense";
import { editDemonstrations, type EditAct } from "./oracle";

export const editAgentSpec: EnvSpec<EditObservation, number> = {
  id: "EditAgent-v0",
  create: (options) => makeEditAgent(options as EditAgentOptions),
  maxEpisodeSteps: EDIT_MAX_STEPS,
  evaluate: (act, opts) => editAgentReport(act as unknown as EditAct, opts),
  episodes: {
    groupStart: (rng, options) => editAgentGroupStart(rng, options as EditAgentOptions),
    metrics: (info) => ({ exactMatch: info.exactMatch ? 1 : 0, edits: Number(info.edits), minimalEdits: Number(info.minimalEdits) }),
  },
  observation: { featurize: (obs) => featurizeEditObservation(obs as EditObservation).flat },
  // the oracle's steps on the tasks, and STOP on nonsense (one per nine tasks: a family's share) so that
  // the policy learns to leave alone what it cannot ground — the abstain rule reads that STOP
  demonstrations: (options, rng) => {
    const tasks = makeEditAgent(options as EditAgentOptions).tasks;
    return [...editDemonstrations(tasks, rng), ...nonsenseDemonstrations(generateNonsense(rng.int(2 ** 31), Math.ceil(tasks.length / 9), "train"))];
  },
};
