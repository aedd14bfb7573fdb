// The shape of one `cairn` command: its flags, its usage text, and what it does.
import type { CommandContext } from './command-context.ts';
import type { MoverResult } from '../contract/mover-result.ts';
import type { OptionSpec, ParsedValues } from './option-spec.ts';
import { applyHeapFlags } from './heap-flags.ts';

export type { OptionSpec, ParsedValues };

/** What a command hands back: the fields it adds to the result, and an optional non-zero outcome. */
export type CommandOutcome = Partial<Omit<MoverResult, 'v' | 'command' | 'exitCode' | 'durationSeconds' | 'peakMemoryBytes'>>;

/** A command's implementation: what `run` does once its module is loaded. */
export type CommandRun = (ctx: CommandContext, args: readonly string[], values: ParsedValues) => Promise<CommandOutcome>;

export interface Command {
  /** e.g. "snapshot create" */
  readonly name: string;
  readonly summary: string;
  /** Positional arguments, e.g. "PATH" or "(ID|latest) TARGET". */
  readonly args: string;
  readonly options: OptionSpec;
  readonly minArgs: number;
  readonly maxArgs: number;
  /** Opens an existing repository with the run's password: main starts opening its format before the command's code loads. */
  readonly opensRepository?: boolean;
  run(ctx: CommandContext, args: readonly string[], values: ParsedValues): Promise<CommandOutcome>;
}

/**
 * A command's `run` that loads its implementation (commands/run/<name>.ts) on first use. Parsing and help need
 * every command's flags, but a run needs one command's engine code: loading only that keeps start-up short
 * (every command at once cost ~60 ms of each run) and lets the repository's key derivation start sooner.
 */
export function runFrom(load: () => Promise<{ run: CommandRun }>): CommandRun {
  return async (ctx, args, values) => {
    const implementation = await load();
    applyHeapFlags(); // set aside while the modules loaded (heap-flags.ts)
    return implementation.run(ctx, args, values);
  };
}
